"""The audit trail: one append-only row per thing someone did or tried, chained by hash.

Each ``Record`` carries ``hash`` = SHA-256 of the previous row's hash followed
by its own content (``chain.content``), so changing, removing or inserting a
row anywhere breaks every hash after it (``qitong audit verify``). ``Head`` is
the one row that says where the chain ends and where it begins after the old
rows were pruned; writers lock it, so the chain never forks.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The hash before the first row of a new installation.
GENESIS = "0" * 64


class Record(models.Model):
    """One audited event: who, when, from where, what, and how it ended."""

    class Action(models.TextChoices):
        LOGIN = "login", _("登录")  # a password tried (outcome: success, failure, locked)
        SECOND_FACTOR = "second_factor", _("二次验证")  # a TOTP or recovery code tried
        LOGOUT = "logout", _("退出登录")
        EXPORT = "export", _("导出")  # a spreadsheet or bulletin made for someone
        DOWNLOAD = "download", _("下载")  # a stored file handed out (attachment, job result)
        CREATE = "create", _("新建")  # an admin API creation (unit, enterprise, user)
        READ_PERSONAL = "read_personal", _("查阅个人信息")  # a dossier, contact phones
        APPEAL = "appeal", _("诉求操作")  # one event of an appeal's timeline
        REFUSED = "refused", _("被拒绝的操作")  # a write answered 403
        SECURITY = "security", _("安全设置")  # second factor enrolled, reset; recovery codes
        AUDIT = "audit", _("审计管理")  # the trail searched, exported or pruned

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        DENIED = "denied", _("拒绝")

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    user_id = models.BigIntegerField(_("用户编号"), null=True, blank=True)
    username = models.CharField(_("用户名"), max_length=150, blank=True, db_index=True)
    role = models.CharField(_("角色"), max_length=10, blank=True)
    address = models.CharField(_("来源地址"), max_length=45, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices, db_index=True)
    target = models.CharField(_("对象"), max_length=300, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    prev_hash = models.CharField(_("前一条的哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self):
        return f"#{self.seq} {self.username} {self.action} {self.outcome}"


class Staged(models.Model):
    """A row on its way to the chain: written in the transaction of what it records.

    ``trail.record`` stages rows here, in the caller's transaction, so an action
    and its audit row commit together (or neither does) without the action
    waiting on the chain's head; ``chain.seal`` moves them to the end of the chain
    in the order they were staged, every few seconds and before every read of
    the trail. On PostgreSQL a trigger refuses to change a staged row.
    """

    at = models.DateTimeField()
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=10, blank=True)
    address = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=16)
    target = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=8)

    class Meta:
        verbose_name = _("待入链的审计记录")
        verbose_name_plural = _("待入链的审计记录")

    def __str__(self):
        return f"staged {self.pk} {self.username} {self.action} {self.outcome}"


class Head(models.Model):
    """The chain's ends (one row, pk 1): the last row written and the anchor before the first.

    Writers lock this row (``select_for_update``), which serialises them on
    PostgreSQL; SQLite has one writer anyway. Pruning moves the anchor to the
    last row it deletes, so the first row kept still links to something known.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    anchor_seq = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS)
    anchored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("审计链端点")
        verbose_name_plural = _("审计链端点")

    def __str__(self):
        return f"{self.anchor_seq + 1}–{self.seq}"
