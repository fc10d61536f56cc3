"""The left menu of each role, its workbench first: where each role lands after login."""

from django.utils.translation import gettext_lazy as _

from qitong.orgs.models import User

MENUS = {
    User.Role.OFFICE: [
        (_("诉求工作台"), "office-workbench"),
        (_("Open311 请求"), "office-open311"),
        (_("领导驾驶舱"), "cockpit"),
        (_("重点项目"), "projects-registry"),
        (_("包联走访"), "visit-list"),
        (_("考核评价"), "assessment"),
        (_("月度通报"), "assessment-bulletins"),
        (_("政策来源"), "policy-sources"),
        (_("抓取记录"), "policy-runs"),
        (_("政策库"), "policy-library"),
        (_("站内消息"), "inbox"),
    ],
    User.Role.UNIT: [
        (_("我的诉求"), "unit-workbench"),
        (_("重点项目"), "projects-registry"),
        (_("我的包联企业"), "visit-mine"),
        (_("考核评价"), "assessment"),
        (_("月度通报"), "assessment-bulletins"),
        (_("政策库"), "policy-library"),
        (_("站内消息"), "inbox"),
    ],
    User.Role.ENTERPRISE: [
        (_("我的诉求"), "portal-home"),
        (_("提交诉求"), "portal-file"),
        (_("我的政策"), "portal-policies"),
        (_("政策计算器"), "portal-policy-calculator"),
        (_("企业信息"), "portal-profile"),
        (_("政策库"), "policy-library"),
        (_("站内消息"), "inbox"),
    ],
    User.Role.LEADER: [
        (_("领导驾驶舱"), "cockpit"),
        (_("重点项目"), "projects-registry"),
        (_("我的包联企业"), "visit-mine"),
        (_("考核评价"), "assessment"),
        (_("月度通报"), "assessment-bulletins"),
        (_("政策库"), "policy-library"),
        (_("站内消息"), "inbox"),
    ],
    User.Role.ADMIN: [
        (_("系统管理"), "admin:index"),
        (_("领导驾驶舱"), "cockpit"),
        (_("重点项目"), "projects-registry"),
        (_("包联走访"), "visit-list"),
        (_("考核评价"), "assessment"),
        (_("月度通报"), "assessment-bulletins"),
        (_("政策来源"), "policy-sources"),
        (_("抓取记录"), "policy-runs"),
        (_("政策库"), "policy-library"),
        (_("站内消息"), "inbox"),
    ],
    User.Role.AUDITOR: [
        (_("审计日志"), "audit-records"),
        (_("政策库"), "policy-library"),
        (_("站内消息"), "inbox"),
    ],
}
# Where each role lands after login (the first entry of its menu).
HOMES = {role: items[0][1] for role, items in MENUS.items()}


def home_url_name(user):
    """Where ``user`` lands after login: the workbench of the role."""
    return HOMES[user.role]
