from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core import clock


class Message(models.Model):
    """One notification to one user: an in-app inbox entry and an outbox row at once.

    Actions write messages through ``qitong.notify.outbox.enqueue`` inside their own
    transaction, so a message exists exactly when the change it reports was
    committed: no e-mail about a dispatch that rolled back, no dispatch whose
    e-mail was lost because a broker was down. The e-mail columns then make the
    row a transactional outbox: ``outbox.deliver_due`` sends the pending rows
    whose ``email_next_attempt_at`` has come, claiming each with a conditional
    update so that two workers never send the same message, and puts a failed
    one back with a later attempt time instead of dropping it.
    """

    class EmailStatus(models.TextChoices):
        NONE = "none", _("不发邮件")  # inbox only: not asked for, or the user has no address
        PENDING = "pending", _("待发送")  # waiting for its first or next attempt
        SENT = "sent", _("已发送")  # handed to the mail server

    class PushStatus(models.TextChoices):
        """The state of a message's SMS or WeCom copy (``channels``)."""

        NONE = "none", _("不发送")  # not asked for, not chosen, or nowhere to send it
        PENDING = "pending", _("待发送")  # waiting for its first or next attempt
        SENT = "sent", _("已发送")  # accepted by the gateway or the robot
        FAILED = "failed", _("发送失败")  # refused for good, or too many attempts: given up

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="inbox_messages",
    )
    kind = models.CharField(_("类型"), max_length=30)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    email_status = models.CharField(
        _("邮件状态"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveIntegerField(_("邮件发送次数"), default=0)
    # While pending: when the next attempt is due (a claimed row holds it a lease ahead).
    email_next_attempt_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_last_error = models.TextField(_("最近一次发送错误"), blank=True)
    # False when the recipient chose not to see this kind in the inbox (``ChannelChoice``).
    in_inbox = models.BooleanField(_("显示在站内消息"), default=True)

    # The SMS and WeCom copies, each retried on its own (``channels.deliver_due``).
    sms_status = models.CharField(
        _("短信状态"), max_length=10, choices=PushStatus.choices, default=PushStatus.NONE
    )
    sms_attempts = models.PositiveIntegerField(_("短信发送次数"), default=0)
    sms_next_attempt_at = models.DateTimeField(_("短信下次发送时间"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("短信发送时间"), null=True, blank=True)
    sms_last_error = models.TextField(_("短信最近一次错误"), blank=True)
    wecom_status = models.CharField(
        _("企业微信状态"), max_length=10, choices=PushStatus.choices, default=PushStatus.NONE
    )
    wecom_attempts = models.PositiveIntegerField(_("企业微信发送次数"), default=0)
    wecom_next_attempt_at = models.DateTimeField(_("企业微信下次发送时间"), null=True, blank=True)
    wecom_sent_at = models.DateTimeField(_("企业微信发送时间"), null=True, blank=True)
    wecom_last_error = models.TextField(_("企业微信最近一次错误"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [
            # deliver_due: pending rows whose attempt time has come.
            models.Index(fields=["email_status", "email_next_attempt_at"], name="notify_email_due"),
            # The inbox: a user's messages, unread ones first to count.
            models.Index(fields=["recipient", "read_at"], name="notify_inbox"),
            models.Index(fields=["sms_status", "sms_next_attempt_at"], name="notify_sms_due"),
            models.Index(fields=["wecom_status", "wecom_next_attempt_at"], name="notify_wecom_due"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_read(self):
        return self.read_at is not None


class Channel(models.TextChoices):
    """Where a message goes."""

    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信")


class ChannelChoice(models.Model):
    """A user's channels for one kind of message; the row of kind "" is for every other kind.

    Without a row a user gets the inbox and e-mail (``DEFAULTS``). SMS goes to the
    user's mobile number, WeCom to the group robot of the user's unit (``Robot``).
    """

    DEFAULTS = {"inbox": True, "email": True, "sms": False, "wecom": False}

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="channel_choices",
    )
    kind = models.CharField(_("消息类型"), max_length=30, blank=True)  # "": every other kind
    inbox = models.BooleanField(_("站内消息"), default=True)
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)
    wecom = models.BooleanField(_("企业微信"), default=False)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("通知方式")
        verbose_name_plural = _("通知方式")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notify_one_choice_per_kind"),
            models.CheckConstraint(
                condition=models.Q(inbox=True)
                | models.Q(email=True)
                | models.Q(sms=True)
                | models.Q(wecom=True),
                name="notify_choice_some_channel",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.kind or '*'}"


def validate_robot_url(url):
    """A robot's address must be http(s) on a host of ``QITONG_WECOM_HOSTS``: the platform
    posts to it, so a unit could otherwise make it call any address inside the network."""
    parts = urlsplit(url or "")
    hosts = settings.QITONG_WECOM_HOSTS
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in hosts:
        raise ValidationError(
            {
                "url": _("群机器人地址应为 %(hosts)s 上的 http(s) 地址。")
                % {"hosts": "、".join(hosts)}
            },
            code="robot_host",
        )


class Robot(models.Model):
    """A unit's WeCom (企业微信) group robot: its webhook address, set by the unit or an admin."""

    unit = models.OneToOneField(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="wecom_robot"
    )
    url = models.URLField(
        _("群机器人地址"),
        max_length=500,
        help_text=_(
            "企业微信群机器人的 Webhook 地址，如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        ),
    )
    updated_at = models.DateTimeField(_("更新时间"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["unit"]
        verbose_name = _("企业微信群机器人")
        verbose_name_plural = _("企业微信群机器人")

    def __str__(self):
        return str(self.unit)

    def clean(self):
        validate_robot_url(self.url)
