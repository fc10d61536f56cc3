"""The policy library's tables: where policies are crawled from, the pages read, the policies
themselves with their attachments, and the record of every crawl cycle."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core import clock
from qitong.policies.selectors import check_selector


class Level(models.TextChoices):
    """The level of government that issued a policy."""

    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    CITY = "city", _("市级")
    DISTRICT = "district", _("区县级")


class Category(models.TextChoices):
    """What a policy offers enterprises: the library's one classification."""

    FINANCING = "financing", _("金融支持")  # loans, guarantees, interest subsidies, listing
    ENTREPRENEURSHIP = "entrepreneurship", _("创业扶持")  # start-ups, incubators, 双创
    INDUSTRY = "industry", _("产业发展")  # industrial upgrading, manufacturing, clusters
    TECHNOLOGY = "technology", _("科技创新")  # R&D, high-tech firms, 专精特新, patents
    BUSINESS_ENVIRONMENT = "business_environment", _("营商环境")  # approvals, services, reform
    TALENT = "talent", _("人才支持")  # recruitment, training, talent housing and awards
    TAX = "tax", _("税费减免")  # tax cuts, fee reductions, social insurance relief
    TRADE = "trade", _("商贸外贸")  # consumption, commerce, exports, investment promotion
    OTHER = "other", _("其他")  # nothing above fits


class PolicySource(models.Model):
    """A list of policies on some government site, read every cycle by ``policies.crawler``.

    An HTML list names its detail links and its next page by CSS selectors; a
    feed (RSS/Atom) needs neither; a JSON list API names where its items are
    and, inside an item, its link and title (dotted paths). The health columns
    are the crawler's own: a source whose list cannot be read waits
    ``backoff_until`` (doubling with each consecutive failure) and is flagged
    for staff after ``crawler.FLAG_AFTER`` failures in a row.
    """

    class Kind(models.TextChoices):
        HTML = "html", _("HTML 列表页")  # links picked from the page by ``link_selector``
        RSS = "rss", _("RSS/Atom 订阅")  # the feed's entries are the items
        JSON = "json", _("JSON 列表接口")  # items at ``json_items_path``, each with link and title

    class Encoding(models.TextChoices):
        AUTO = "auto", _("自动识别")  # header, then meta tag, then the bytes themselves
        UTF8 = "utf-8", "UTF-8"
        GBK = "gbk", "GBK/GB18030"

    name = models.CharField(_("名称"), max_length=100)
    list_url = models.URLField(_("列表页地址"), max_length=1000)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.HTML)
    link_selector = models.CharField(_("链接选择器"), max_length=300, blank=True)
    next_selector = models.CharField(_("下一页选择器"), max_length=300, blank=True)
    json_items_path = models.CharField(_("JSON 条目路径"), max_length=200, blank=True)
    json_link_path = models.CharField(_("JSON 链接路径"), max_length=200, blank=True)
    json_title_path = models.CharField(_("JSON 标题路径"), max_length=200, blank=True)
    encoding = models.CharField(
        _("编码"), max_length=10, choices=Encoding.choices, default=Encoding.AUTO
    )
    # Whose site it is: a policy first read here takes its level and region from its source
    # unless its own text says otherwise.
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, blank=True)
    region = models.ForeignKey(
        "orgs.Region",
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enabled = models.BooleanField(_("启用"), default=True)
    # Where reading a list too long for one cycle goes on (the first cycles of a new source).
    resume_url = models.CharField(_("续读位置"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)

    last_run_at = models.DateTimeField(_("最近抓取时间"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("最近成功时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    backoff_until = models.DateTimeField(_("暂停抓取至"), null=True, blank=True)
    flagged = models.BooleanField(_("需人工检查"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("政策来源")
        verbose_name_plural = _("政策来源")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == self.Kind.HTML and not self.link_selector.strip():
            errors["link_selector"] = _("HTML 列表页必须填写链接选择器。")
        for name in ("link_selector", "next_selector"):
            value = getattr(self, name).strip()
            if value and name not in errors and not check_selector(value):
                errors[name] = _("“%(value)s”不是有效的 CSS 选择器。") % {"value": value}
        if self.kind == self.Kind.JSON and not self.json_items_path.strip():
            errors["json_items_path"] = _("JSON 列表接口必须填写条目路径（如 data.list）。")
        if errors:
            raise ValidationError(errors)


class Policy(models.Model):
    """One policy document, however many sites publish it.

    ``simhash`` is the 64-bit SimHash of the body (``policies.dedup``); its four
    16-bit bands are indexed columns, so a document republished elsewhere is
    found by equal bands and confirmed by a small Hamming distance.

    Its category and target conditions are filled in by ``policies.classify``
    (rules, then a trained classifier) and may be corrected by staff: a corrected
    field is named in ``corrected`` and no later crawl or classification
    overwrites it. The conditions say whom the policy is for; an empty list means
    "any": ``industries`` are GB/T 4754 code prefixes (a section letter such as
    ``C`` or a longer code such as ``C39``), ``sizes`` and ``tiers`` the
    enterprise's own values, ``regions`` divisions the enterprise must lie
    within (besides the policy's own ``region``), ``qualifications`` any one of
    which the enterprise must hold.
    """

    class CategoryBy(models.TextChoices):
        RULE = "rule", _("规则")  # a keyword rule decided it
        MODEL = "model", _("分类模型")  # the trained classifier decided it
        STAFF = "staff", _("人工")  # staff set it

    Level = Level
    Category = Category

    title = models.CharField(_("标题"), max_length=500)
    body = models.TextField(_("正文"), blank=True)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    number = models.CharField(_("发文字号"), max_length=100, blank=True)
    index_number = models.CharField(_("索引号"), max_length=100, blank=True)
    subject = models.CharField(_("主题分类"), max_length=100, blank=True)
    written = models.DateField(_("成文日期"), null=True, blank=True)
    published = models.DateField(_("发布日期"), null=True, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, blank=True)
    region = models.ForeignKey(
        "orgs.Region",
        verbose_name=_("发布区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(
        _("政策类别"), max_length=30, choices=Category.choices, blank=True, db_index=True
    )
    category_by = models.CharField(
        _("类别来源"), max_length=10, choices=CategoryBy.choices, blank=True
    )
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_until = models.DateField(_("有效期止"), null=True, blank=True)
    industries = models.JSONField(_("适用行业"), default=list, blank=True)
    sizes = models.JSONField(_("适用企业规模"), default=list, blank=True)
    tiers = models.JSONField(_("适用服务等级"), default=list, blank=True)
    regions = models.ManyToManyField(
        "orgs.Region", verbose_name=_("适用区划"), blank=True, related_name="+"
    )
    qualifications = models.ManyToManyField(
        "enterprises.Qualification",
        verbose_name=_("所需资质"),
        blank=True,
        related_name="policies",
    )
    interprets = models.ForeignKey(
        "self",
        verbose_name=_("所解读的政策"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interpretations",
    )
    public = models.BooleanField(_("公开"), default=True)
    corrected = models.JSONField(_("人工更正的字段"), default=list, blank=True)
    # When matching against enterprises last ran for it (None: not yet; it is pushed once).
    matched_at = models.DateTimeField(_("匹配时间"), null=True, blank=True, db_index=True)
    # When the inbox messages of that matching's pushes were written (None: not yet). A run
    # pushes in batches, then tells each enterprise once of all it was pushed (``announce``).
    announced_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    # When the daily digest had carried every push of that matching (None: not yet, or
    # not known yet); the digest reads the pushes of the policies without it.
    digested_at = models.DateTimeField(_("摘要邮件时间"), null=True, blank=True)
    # The reasons every push of that matching shares, when they are the same for every
    # enterprise it fits (most policies): those pushes then keep none of their own.
    push_reasons = models.JSONField(_("推送的匹配条件"), null=True, blank=True, editable=False)
    simhash = models.BigIntegerField(_("正文指纹"), default=0)
    band0 = models.PositiveIntegerField(default=0)
    band1 = models.PositiveIntegerField(default=0)
    band2 = models.PositiveIntegerField(default=0)
    band3 = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(_("首次抓取时间"), default=clock.now)
    updated_at = models.DateTimeField(_("更新时间"), default=clock.now)

    class Meta:
        ordering = ["-published", "-id"]
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        indexes = [
            models.Index(fields=["band0"], name="policies_band0"),
            models.Index(fields=["band1"], name="policies_band1"),
            models.Index(fields=["band2"], name="policies_band2"),
            models.Index(fields=["band3"], name="policies_band3"),
            models.Index(fields=["title"], name="policies_title"),
            models.Index(fields=["issuer"], name="policies_issuer"),
            models.Index(fields=["published", "id"], name="policies_published"),
            # The few policies matched but not yet announced (``matching.announce``).
            models.Index(
                fields=["matched_at"],
                condition=models.Q(matched_at__isnull=False, announced_at__isnull=True),
                name="policies_unannounced",
            ),
        ]

    def __str__(self):
        return self.title


class Page(models.Model):
    """A URL a source's crawl has read, in its canonical form (``policies.addresses.canonical``).

    A list page keeps its validators (ETag, Last-Modified) for the next
    conditional request; a detail page also keeps what its list entry said
    (``listed_as``: its title or feed date), so a changed entry is read again
    and an unchanged one is not, and the policy it belongs to.
    """

    class Kind(models.TextChoices):
        LIST = "list", _("列表页")  # a page of a source's list
        DETAIL = "detail", _("详情页")  # one policy's page on one site

    url = models.CharField(_("地址"), max_length=1000)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    source = models.ForeignKey(
        PolicySource,
        verbose_name=_("来源"),
        on_delete=models.CASCADE,
        related_name="pages",
    )
    policy = models.ForeignKey(
        Policy,
        verbose_name=_("政策"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pages",
    )
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    listed_as = models.CharField(_("列表中的标题"), max_length=500, blank=True)
    content_hash = models.CharField(_("内容摘要"), max_length=64, blank=True)
    fetched_at = models.DateTimeField(_("抓取时间"), default=clock.now)

    class Meta:
        verbose_name = _("已抓取页面")
        verbose_name_plural = _("已抓取页面")
        constraints = [
            models.UniqueConstraint(fields=["source", "url"], name="policies_page_once_per_source")
        ]
        # Another source's page at the same address is the same document.
        indexes = [models.Index(fields=["url"], name="policies_page_url")]

    def __str__(self):
        return self.url


class Push(models.Model):
    """A policy sent to an enterprise: at most once (a unique pair), with why it fits.

    ``matched`` are the conditions it matched, as ``policies.matching`` words them (kept
    once on the policy when every enterprise it fits matched the same ones); ``read_at``
    is set when someone of the enterprise opens it; ``digested_at`` when the daily digest
    e-mail carried it.
    """

    # No index of their own: the unique pair leads with the policy, ``policies_push_enterprise``
    # with the enterprise (each index is written for each of a run's millions of pushes).
    # No constraint in the database either: PostgreSQL would check both references of each
    # push again at commit, a trigger and a locking read a row, which cost more than writing
    # the rows. The references hold all the same: only ``matching.push`` writes pushes, from
    # the policies and enterprises it reads in the same statement; deleting a policy or an
    # enterprise deletes its pushes (Django's cascade), after waiting for a push under way
    # (``matching.hold_deletions``).
    policy = models.ForeignKey(
        Policy,
        verbose_name=_("政策"),
        on_delete=models.CASCADE,
        related_name="pushes",
        db_index=False,
        db_constraint=False,
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="policy_pushes",
        db_index=False,
        db_constraint=False,
    )
    pushed_at = models.DateTimeField(_("推送时间"), default=clock.now)
    # Its own reasons; None when they are its policy's ``push_reasons`` (see ``matched``).
    reasons = models.JSONField(_("匹配条件"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    digested_at = models.DateTimeField(_("摘要邮件时间"), null=True, blank=True)

    class Meta:
        ordering = ["-pushed_at", "-id"]
        verbose_name = _("政策推送")
        verbose_name_plural = _("政策推送")
        constraints = [
            models.UniqueConstraint(fields=["policy", "enterprise"], name="policies_push_once")
        ]
        indexes = [
            # An enterprise's pushes newest first (我的政策), and a run's by enterprise with
            # their policies (``matching.announce`` reads no push row).
            models.Index(
                fields=["enterprise", "-pushed_at", "policy"], name="policies_push_enterprise"
            ),
        ]

    def __str__(self):
        return f"{self.policy} → {self.enterprise}"

    @staticmethod
    def reasons_of(own, shared):
        """The conditions a push matched, in words, from its own ``reasons`` and its policy's
        ``push_reasons``."""
        return own if own is not None else (shared or [])

    @property
    def matched(self):
        return self.reasons_of(self.reasons, self.policy.push_reasons)


def attachment_path(instance, filename):
    return f"policies/attachments/{instance.sha256[:2]}/{instance.sha256}{filename}"


class Attachment(models.Model):
    """A file linked from a policy's page (PDF, DOC, XLS…), stored once by content."""

    policy = models.ForeignKey(
        Policy, verbose_name=_("政策"), on_delete=models.CASCADE, related_name="attachments"
    )
    url = models.CharField(_("地址"), max_length=1000)
    name = models.CharField(_("名称"), max_length=300)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        constraints = [
            models.UniqueConstraint(fields=["policy", "url"], name="policies_attachment_once")
        ]

    def __str__(self):
        return self.name


class CrawlRun(models.Model):
    """One crawl cycle: when, how much, and per source its errors and its time (``report``)."""

    started_at = models.DateTimeField(_("开始时间"), default=clock.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    sources = models.PositiveIntegerField(_("来源数"), default=0)
    fetched = models.PositiveIntegerField(_("抓取页数"), default=0)
    new = models.PositiveIntegerField(_("新增政策"), default=0)
    updated = models.PositiveIntegerField(_("更新政策"), default=0)
    duplicates = models.PositiveIntegerField(_("重复政策"), default=0)
    errors = models.PositiveIntegerField(_("错误数"), default=0)
    # {source id: {"name", "seconds", "fetched", "new", "updated", "duplicates", "errors": [...]}}
    report = models.JSONField(_("各来源明细"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("抓取记录")
        verbose_name_plural = _("抓取记录")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S}"

    def summary(self):
        """What ``qitong crawl --once`` prints."""
        fields = ["sources", "fetched", "new", "updated", "duplicates", "errors"]
        return {"run": self.pk} | {name: getattr(self, name) for name in fields}


class RobotsTxt(models.Model):
    """A host's robots.txt as last read: kept a day (RFC 9309 allows caching up to 24 hours),
    so an unchanged cycle asks each site for its list page only."""

    host = models.CharField(_("站点"), max_length=300, primary_key=True)  # scheme://host:port
    status = models.PositiveSmallIntegerField(_("HTTP 状态"))
    body = models.TextField(_("内容"), blank=True)
    fetched_at = models.DateTimeField(_("读取时间"), default=clock.now)

    class Meta:
        verbose_name = _("robots.txt")
        verbose_name_plural = _("robots.txt")

    def __str__(self):
        return self.host


class CrawlLease(models.Model):
    """The one row that keeps two crawl cycles from overlapping.

    A cycle takes it with a conditional UPDATE (free or expired) and gives it
    back when done; a worker that died leaves it to expire.
    """

    name = models.CharField(max_length=30, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("抓取锁")
        verbose_name_plural = _("抓取锁")

    def __str__(self):
        return self.name
