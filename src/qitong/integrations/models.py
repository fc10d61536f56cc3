"""The systems around the platform: the 12345 hotline and Open311 clients.

One ``Integration`` row per connected system, whatever its kind. What each
kind leaves behind is its own table: a hotline's ``WorkOrder`` (one per
工单编号, linked to its appeal) and the ``Callback`` outbox of the changes told
back to it; an Open311 client's ``ServiceRequest`` (the reporter, the place,
its appeal once filed). ``Publication`` records the appeals their enterprise
chose to show to anyone through Open311.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core import clock


def hash_key(key):
    """How an API key is kept: its SHA-256, so the table never holds a usable key."""
    return hashlib.sha256(key.encode()).hexdigest()


class Integration(models.Model):
    """A connected system: its shared secret (HMAC), its API key (hashed), its callback URL."""

    class Kind(models.TextChoices):
        HOTLINE = "hotline12345", _("12345热线")  # pushes work orders, hears every change back
        OPEN311 = "open311", _("Open311 客户端")  # posts and reads service requests with its key

    name = models.SlugField(_("名称"), max_length=50, unique=True)
    title = models.CharField(_("显示名称"), max_length=100, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    # Both sides sign with it (HMAC-SHA256), so it is kept as it is, shown only in the admin.
    secret = models.CharField(_("共享密钥"), max_length=100, blank=True)
    api_key_hash = models.CharField(_("API 密钥摘要"), max_length=64, blank=True, editable=False)
    api_key_prefix = models.CharField(_("API 密钥前缀"), max_length=12, blank=True, editable=False)
    callback_url = models.URLField(_("回调地址"), max_length=500, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    # Who the system's filings and actions are recorded as: an account that cannot sign in.
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("系统账号"),
        on_delete=models.PROTECT,
        related_name="integration",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("外部系统")
        verbose_name_plural = _("外部系统")
        indexes = [models.Index(fields=["api_key_hash"], name="integration_key")]

    def __str__(self):
        return self.title or self.name


class WorkOrder(models.Model):
    """A 12345 work order (工单) as received, and the appeal it became."""

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("紧急")
        VERY_URGENT = "very_urgent", _("特急")

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("外部系统"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    number = models.CharField(_("工单编号"), max_length=100)
    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        on_delete=models.CASCADE,
        related_name="work_order",
    )
    called_at = models.DateTimeField(_("来电时间"), null=True, blank=True)
    caller = models.CharField(_("来电人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    kind = models.CharField(_("诉求类型"), max_length=50, blank=True)
    urgency = models.CharField(
        _("紧急程度"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    due_at = models.DateTimeField(_("交办时限"), null=True, blank=True)
    attachments = models.JSONField(_("附件链接"), default=list, blank=True)
    # The enterprise was unknown and created from the work order: the office is to confirm it.
    new_enterprise = models.BooleanField(_("新建未核实企业"), default=False)
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("12345工单")
        verbose_name_plural = _("12345工单")
        constraints = [
            models.UniqueConstraint(fields=["integration", "number"], name="work_order_unique"),
        ]

    def __str__(self):
        return self.number


class Callback(models.Model):
    """One change of a hotline appeal to tell its hotline: a row of the callback outbox.

    Written in the transaction of the change itself (``intake.on_event_saved``),
    sent later by ``callbacks.deliver_due``: retried with exponential backoff,
    dead after ``QITONG_CALLBACK_ATTEMPTS`` failures, replayed from the admin.
    ``seq`` numbers an appeal's callbacks 1, 2, 3 … in the order of its timeline;
    none is sent before every earlier one of its appeal has been.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")  # waiting for its first or next attempt
        SENT = "sent", _("已送达")  # the receiver answered 2xx
        DEAD = "dead", _("发送失败")  # every attempt failed: waits for a replay from the admin

    integration = models.ForeignKey(
        Integration, verbose_name=_("外部系统"), on_delete=models.CASCADE, related_name="callbacks"
    )
    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="+"
    )
    seq = models.PositiveIntegerField(_("序号"))
    event = models.ForeignKey(
        "appeals.Event", verbose_name=_("事件"), on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    # While pending: when the next attempt is due (a claimed row holds it a lease ahead).
    next_attempt_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        ordering = ["appeal_id", "seq"]
        verbose_name = _("12345回调")
        verbose_name_plural = _("12345回调")
        constraints = [
            models.UniqueConstraint(fields=["integration", "appeal", "seq"], name="callback_seq"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="callback_due"),
        ]

    def __str__(self):
        return f"{self.appeal_id}#{self.seq}"


class ServiceRequest(models.Model):
    """An Open311 service request: who reported it, where, and its appeal once filed.

    A request naming an enterprise is filed at once. One naming none (an
    Open311 client knows only a reporter) is accepted from its unverified
    reporter and waits as ``PENDING`` under its token, before the office
    (``office/open311/``), until the office links it to an enterprise, which
    files it into the appeal loop, or handles it as it stands: answers the
    reporter itself, or declines it. ``appeal`` is the nullable link.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("待办公室核实")  # no enterprise named yet
        FILED = "filed", _("已转为诉求")  # linked to an enterprise: an appeal of channel open311
        ANSWERED = "answered", _("办公室已答复")  # handled as it stands, without an appeal
        DECLINED = "declined", _("不予受理")  # the office declined it without an appeal

    # The states the office has decided: nothing more is done with the request.
    DECIDED = (State.FILED, State.ANSWERED, State.DECLINED)

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("外部系统"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    token = models.CharField(_("受理凭证"), max_length=40, unique=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices)
    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_request",
    )
    service_code = models.CharField(_("服务代码"), max_length=40)
    description = models.TextField(_("描述"), max_length=4000)
    attributes = models.JSONField(_("附加信息"), default=dict, blank=True)
    first_name = models.CharField(_("名"), max_length=50, blank=True)
    last_name = models.CharField(_("姓"), max_length=50, blank=True)
    email = models.CharField(_("电子邮箱"), max_length=254, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    address_id = models.CharField(_("地址编号"), max_length=100, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    long = models.FloatField(_("经度"), null=True, blank=True)
    media_url = models.URLField(_("图片链接"), max_length=500, blank=True)
    device_id = models.CharField(_("设备编号"), max_length=100, blank=True)
    account_id = models.CharField(_("账号编号"), max_length=100, blank=True)
    enterprise_uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    enterprise_name = models.CharField(_("企业名称"), max_length=200, blank=True)
    decline_reason = models.TextField(_("不予受理理由"), blank=True)
    # The office's own answer when it handles the request as it stands (its public note).
    answer = models.TextField(_("办公室答复"), blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")
        indexes = [models.Index(fields=["state", "received_at"], name="service_request_state")]

    def __str__(self):
        return self.token

    @property
    def reporter(self):
        return " ".join(part for part in (self.last_name, self.first_name) if part)

    @property
    def office_note(self):
        """What the office said, shown to the reporter: its answer or its reason to decline."""
        return self.answer or self.decline_reason


class Publication(models.Model):
    """An appeal its enterprise chose to make public: Open311 reads it without a key."""

    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        on_delete=models.CASCADE,
        related_name="publication",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公开人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("公开时间"))

    class Meta:
        verbose_name = _("公开的诉求")
        verbose_name_plural = _("公开的诉求")

    def __str__(self):
        return str(self.appeal_id)
