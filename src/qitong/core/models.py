import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core import clock


class StoredFile(models.Model):
    """A file kept with a row: the name it came with (``appeals.uploads.display_name``), its
    content type as judged at upload (``appeals.uploads.inspect``) and its size. Each model
    declares ``file`` with its own ``upload_to``; ``appeals.uploads.store`` saves the two."""

    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.name


class CalendarDay(models.Model):
    """One day whose status overrides every other source of the calendar.

    Rows come from an admin loading a year's official schedule (``source`` =
    official) or from a hand edit (``source`` = manual, e.g. a local day off).
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")  # a day off, whatever weekday it is
        WORKDAY = "workday", _("上班")  # a working day, e.g. a make-up Saturday

    class Source(models.TextChoices):
        OFFICIAL = "official", _("国务院办公厅通知")
        MANUAL = "manual", _("手工调整")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose official schedule an admin has loaded.

    Such a year is no longer provisional: its days are weekends plus the
    loaded ``CalendarDay`` rows, whatever ``chinese-calendar`` knows.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("已载入的年度安排")
        verbose_name_plural = _("已载入的年度安排")

    def __str__(self):
        return str(self.year)


class OfficeHours(models.Model):
    """One interval of office hours, the same on every working day.

    No rows means the default 09:00–17:00; two rows give a lunch break.
    """

    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        ordering = ["start"]
        verbose_name = _("办公时间段")
        verbose_name_plural = _("办公时间段")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="office_hours_start_before_end"
            ),
        ]

    def __str__(self):
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        if self.start is None or self.end is None:
            return  # the missing time is the field's own error
        if self.start >= self.end:
            raise ValidationError({"end": _("结束时间必须晚于开始时间。")})
        overlapping = OfficeHours.objects.exclude(pk=self.pk).filter(
            start__lt=self.end, end__gt=self.start
        )
        if overlapping.exists():
            raise ValidationError(_("该时间段与已有的办公时间段重叠。"))


class Counter(models.Model):
    """A named sequence (e.g. the appeal numbers of one year)."""

    name = models.CharField(max_length=50, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")

    def __str__(self):
        return f"{self.name}={self.value}"


def job_result_path(job, filename):
    return f"jobs/{job.created_at:%Y/%m}/{job.pk}-{filename}"


class Job(models.Model):
    """A long piece of work run in the background: an export, a recount, a recompute.

    ``qitong.core.jobs`` starts, claims and runs it: ``kind`` is the dotted path
    of the function that does the work (it lives in the app that owns the work),
    ``params`` its JSON arguments. A worker claims a queued row with a
    conditional update and holds it for a lease, which its progress reports
    extend; a row whose worker died is claimed again once its lease has run out.
    Only ``created_by`` may see the job and download its ``result``.
    """

    class Status(models.TextChoices):
        # waiting for a worker (or for a dead worker's lease to run out)
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")  # claimed by a worker until ``lease_until``
        DONE = "done", _("已完成")  # finished; ``result`` holds the file, if the kind makes one
        FAILED = "failed", _("失败")  # gave up; ``error`` says why

    kind = models.CharField(_("类型"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveBigIntegerField(_("已完成"), default=0)
    total = models.PositiveBigIntegerField(_("总数"), null=True, blank=True)  # None: not known yet
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,  # a system job (e.g. recomputing deadlines) has no one to tell
        related_name="jobs",
    )
    result = models.FileField(_("结果文件"), upload_to=job_result_path, max_length=300, blank=True)
    result_name = models.CharField(_("下载文件名"), max_length=200, blank=True)
    result_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)  # also the claim's token
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    lease_until = models.DateTimeField(_("租约到期"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [
            # jobs.run_queued: queued rows, and running rows whose lease has run out.
            models.Index(fields=["status", "lease_until"], name="core_job_claimable"),
        ]

    def __str__(self):
        return f"{self.pk} {self.kind} {self.status}"

    @property
    def percent(self):
        """Progress in whole percent, or None while the total is not known."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


class ApiToken(models.Model):
    """A named bearer token for the API, stored only as the SHA-256 of its key.

    The key is shown once, when the token is issued (``issue``); a lost key is
    replaced by a new token, never printed again. A token works until it
    expires (``QITONG_API_TOKEN_DAYS`` after issue, 90 by default) or is
    revoked, and only while its user is active.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("名称"), max_length=100)
    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    # The key's first characters, to tell tokens apart in lists (never enough to use one).
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("签发时间"), default=clock.now, editable=False)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.user} · {self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(key):
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user, *, name="", days=None):
        """A new token for ``user``: ``(token, key)``. The key is not stored: show it now."""
        days = settings.QITONG_API_TOKEN_DAYS if days is None else days
        key = secrets.token_hex(20)
        issued = clock.now()
        token = cls.objects.create(
            user=user,
            name=name or issued.strftime("%Y-%m-%d %H:%M"),
            digest=cls.digest_of(key),
            prefix=key[:8],
            created_at=issued,
            expires_at=issued + timedelta(days=days) if days else None,
        )
        return token, key

    @property
    def is_usable(self):
        now = clock.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = clock.now()
            self.save(update_fields=["revoked_at"])


class RateCounter(models.Model):
    """One rate limit's count for one client in one window (``core.ratelimit``), when
    there is no Redis: shared by every process through the database."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("限流计数")
        verbose_name_plural = _("限流计数")

    def __str__(self):
        return f"{self.key} = {self.count}"
