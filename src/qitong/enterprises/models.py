from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.enterprises.industries import section_name, validate_industry
from qitong.enterprises.uscc import normalize, validate_uscc
from qitong.orgs.models import Region

phone_validator = RegexValidator(r"^[0-9+\-() ]{5,20}$", _("电话号码格式不正确。"))


class Qualification(models.Model):
    """A recognised status an enterprise may hold, e.g. 高新技术企业 or 专精特新."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("企业资质")
        verbose_name_plural = _("企业资质")

    def __str__(self):
        return self.name


class Enterprise(models.Model):
    """An enterprise served by the platform, known by its unified social credit code."""

    class Size(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    class Tier(models.TextChoices):
        KEY = "key", _("重点企业")  # fast lane: time limits halved, a named contact leader
        NORMAL = "normal", _("一般企业")

    class Registration(models.TextChoices):
        """登记状态 as the market regulator's registry says it (``registry.sync``)."""

        UNCHECKED = "", _("未核对")  # not yet met in a registry export
        ACTIVE = "active", _("存续")  # 存续 or 在业: registered and trading
        MOVED_OUT = "moved_out", _("迁出")  # registration moved to another authority
        REVOKED = "revoked", _("吊销")  # licence revoked (吊销, 未注销 included)
        DEREGISTERED = "deregistered", _("注销")  # struck off: the enterprise no longer exists

    # Registry states that flag an enterprise on its dossier and in the admin; it is
    # never deleted, since its appeals, visits and history stay.
    FLAGGED_REGISTRATIONS = (
        Registration.MOVED_OUT,
        Registration.REVOKED,
        Registration.DEREGISTERED,
    )

    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("企业名称"), max_length=200)
    region = models.ForeignKey(
        "orgs.Region",
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
        help_text=_("留空时按统一社会信用代码第 3—8 位（登记管理机关行政区划码）自动填写。"),
    )
    industry = models.CharField(
        _("行业代码"),
        max_length=5,
        blank=True,
        validators=[validate_industry],
        help_text=_("GB/T 4754-2017，如 C3989"),
    )
    size = models.CharField(_("企业规模"), max_length=10, choices=Size.choices, default=Size.SMALL)
    tier = models.CharField(_("服务等级"), max_length=10, choices=Tier.choices, default=Tier.NORMAL)
    above_scale = models.BooleanField(_("规上企业"), default=False)
    qualifications = models.ManyToManyField(
        Qualification, verbose_name=_("资质"), blank=True, related_name="enterprises"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    # In 万元 of ``capital_currency`` (a registry's 注册资本 "500万元人民币" → 500, 人民币).
    registered_capital = models.DecimalField(
        _("注册资本（万元）"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    capital_currency = models.CharField(_("注册资本币种"), max_length=10, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    registration_status = models.CharField(
        _("登记状态"),
        max_length=12,
        choices=Registration.choices,
        default=Registration.UNCHECKED,
        blank=True,
    )
    # When a registry export last named this enterprise (``registry.sync``).
    registry_checked_at = models.DateTimeField(_("登记核对时间"), null=True, blank=True)
    # False for an enterprise only a caller named (e.g. a hotline work order), until
    # an office or the registry confirms it.
    verified = models.BooleanField(_("已核实"), default=True)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        # What the policy push reads of every enterprise, led by the area or by the industry
        # (``policies.matching``): the conditions are checked in the index, not row by row
        # in the table. ("id" last: PostgreSQL then answers from the index alone.)
        indexes = [
            models.Index(
                fields=["region", "tier", "size", "industry", "id"], name="enterprises_by_region"
            ),
            models.Index(
                fields=["industry", "size", "tier", "region", "id"], name="enterprises_by_industry"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.uscc = normalize(self.uscc)
        self.assign_region()
        super().save(*args, **kwargs)

    def clean(self):
        self.assign_region()

    def assign_region(self):
        """The one rule for an enterprise's region, whatever road the record came in by
        (API, admin, import, demo city): ``clean`` and ``save`` both apply it.

        Omitted, the region is read from the code itself: characters 3–8 of a
        USCC are the division code of the registration authority (GB 32100), and
        an abolished one answers with the division that took it over (370181
        章丘市 → 370114 章丘区). When that code is unknown the region stays
        empty rather than refusing the enterprise: it can be set by hand later.
        A new record given an abolished division likewise gets its heir; an
        existing record keeps the division it has, abolished or not.
        """
        if self.region_id is None:
            self.region = Region.objects.current(normalize(self.uscc)[2:8])
        elif self._state.adding and not self.region.is_active:
            self.region = self.region.current() or self.region

    @property
    def registration_flagged(self):
        """Deregistered, revoked or moved out, as the registry last said."""
        return self.registration_status in self.FLAGGED_REGISTRATIONS

    @property
    def is_key(self):
        return self.tier == self.Tier.KEY

    @property
    def industry_section(self):
        return section_name(self.industry)


class Contact(models.Model):
    """A person at an enterprise whom officials call about its affairs."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=20, validators=[phone_validator])
    email = models.EmailField(_("电子邮箱"), blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(is_primary=True),
                name="one_primary_contact_per_enterprise",
            )
        ]

    def __str__(self):
        return _("%(name)s（%(enterprise)s）") % {"name": self.name, "enterprise": self.enterprise}


class EnterpriseChange(models.Model):
    """One field of an enterprise's profile changed: who, when, from what, to what, by which road."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("企业自助")  # the enterprise's own portal page
        ADMIN = "admin", _("系统管理")  # an admin's edit
        IMPORT = "import", _("批量导入")  # an office's enterprise list
        REGISTRY = "registry", _("市场监管登记")  # the market regulator's registry export

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="changes"
    )
    at = models.DateTimeField(_("变更时间"))
    actor = models.ForeignKey(
        "orgs.User",
        verbose_name=_("变更人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("变更途径"), max_length=10, choices=Source.choices)
    field = models.CharField(_("变更项"), max_length=40)
    old = models.TextField(_("变更前"), blank=True)
    new = models.TextField(_("变更后"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("企业信息变更")
        verbose_name_plural = _("企业信息变更")
        indexes = [models.Index(fields=["enterprise", "-at"], name="enterprises_change_at")]

    def __str__(self):
        return f"{self.enterprise_id} {self.field}"
