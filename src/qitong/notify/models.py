from django.conf import settings
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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [
            # deliver_due: pending rows whose attempt time has come.
            models.Index(fields=["email_status", "email_next_attempt_at"], name="notify_email_due"),
            # The inbox: a user's messages, unread ones first to count.
            models.Index(fields=["recipient", "read_at"], name="notify_inbox"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_read(self):
        return self.read_at is not None
