"""The timeline in plain words."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

EVENT_WORDS = {
    "submit": _("提交诉求"),
    "accept": _("受理"),
    "reject": _("不予受理"),
    "dispatch": _("派单"),
    "sign": _("签收"),
    "return": _("退回服务企业办公室"),
    "contact": _("联系企业"),
    "reply": _("答复企业"),
    "contribute": _("协办单位提交意见"),
    "extend": _("申请延期"),
    "approve_extension": _("批准延期"),
    "deny_extension": _("不批准延期"),
    "suspend": _("申请中止"),
    "approve_suspension": _("批准中止，暂停计时"),
    "deny_suspension": _("不批准中止"),
    "resume": _("恢复办理，继续计时"),
    "resolve": _("办结"),
    "approve": _("审核通过，请企业评价"),
    "redo": _("退回重办"),
    "rate": _("企业评价"),
    "archive": _("归档"),
    "attach": _("上传附件"),
    "supervise": _("督办"),
    "urge": _("催办"),
    "escalate": _("升级"),
    "recompute_deadlines": _("工作日历调整，重新计算期限"),
}

ACTION_WORDS = {
    **EVENT_WORDS,
    "accept": _("受理"),
    "return": _("退回"),
    "approve": _("审核通过"),
    "approve_suspension": _("批准中止"),
    "resume": _("恢复办理"),
    "contribute": _("提交协办意见"),
    "attach": _("上传附件"),
}


@register.filter
def event_words(action):
    return EVENT_WORDS.get(action, action)


@register.filter
def action_words(action):
    return ACTION_WORDS.get(action, action)
