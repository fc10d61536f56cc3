from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core import clock

region_code_validator = RegexValidator(
    r"^[1-8]\d{5}(\d{3})?$",
    _(
        "行政区划代码应为 6 位数字（GB/T 2260 县级及以上）或 9 位数字（乡镇、街道的统计用区划代码）。"
    ),
)
unit_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_-]{1,39}$", _("单位代码只能由小写字母、数字、下划线和连字符组成，以字母开头。")
)


class RegionQuerySet(models.QuerySet):
    def current(self, code):
        """The division in use today for ``code``, following successors; None if unknown.

        An old code (say 370181 章丘市, abolished in 2016) still appears in
        registration numbers issued before; it answers with its heir
        (370114 章丘区). A chain that loops or ends in nothing answers None.
        """
        region = self.filter(code=code).select_related("successor").first()
        return region.current() if region is not None else None


class Region(models.Model):
    """An administrative division: GB/T 2260 for provinces, prefectures and counties, the
    9-digit statistical code for towns and streets.

    Divisions are never deleted: an abolished one stays, inactive, pointing at the
    division that took over its area, so records made under the old code keep it.
    The shipped list is loaded by migration; ``qitong regions load`` updates it.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")  # xx0000
        PREFECTURE = "prefecture", _("地级")  # xxxx00
        COUNTY = "county", _("县级")  # any other 6-digit code
        TOWN = "town", _("乡级")  # 9 digits: the county's code and three more (乡镇、街道)

        @classmethod
        def of(cls, code):
            """The level a code's shape gives it."""
            if len(code) == 9:
                return cls.TOWN
            if code.endswith("0000"):
                return cls.PROVINCE
            if code.endswith("00"):
                return cls.PREFECTURE
            return cls.COUNTY

    code = models.CharField(
        _("行政区划代码"), max_length=9, unique=True, validators=[region_code_validator]
    )
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(
        _("级别"), max_length=10, choices=Level.choices, editable=False, db_index=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("在用"), default=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("继任区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text=_("撤销的区划由哪个区划承接其区域。"),
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            # Only an abolished division hands its area on.
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(successor__isnull=True),
                name="region_successor_only_when_abolished",
            )
        ]

    def __str__(self):
        return _("%(name)s（%(code)s）") % {"name": self.name, "code": self.code}

    def save(self, *args, **kwargs):
        self.level = self.Level.of(self.code)
        super().save(*args, **kwargs)

    def clean(self):
        code = self.code or ""
        allowed = self.parent_codes_for(code)
        parent_code = self.parent.code if self.parent_id else None
        if parent_code is None and len(code) == 9:
            raise ValidationError({"parent": _("乡镇、街道须有上级县级区划。")})
        if parent_code is not None and parent_code not in allowed:
            raise ValidationError(
                {
                    "parent": _("上级区划 %(parent)s 与代码 %(code)s 不相符。")
                    % {"parent": parent_code, "code": code}
                }
            )
        if self.successor_id is not None and self.successor_id == self.pk:
            raise ValidationError({"successor": _("继任区划不能是本区划。")})
        if self.is_active and self.successor_id is not None:
            raise ValidationError({"successor": _("在用的区划不应有继任区划；撤销后再填写。")})

    def current(self):
        """This division if in use, else the end of its successor chain (None if it ends
        in an abolished division with no successor, or loops)."""
        region, seen = self, set()
        while not region.is_active:
            if region.successor_id is None or region.pk in seen:
                return None
            seen.add(region.pk)
            region = region.successor
        return region

    @staticmethod
    def parent_codes_for(code):
        """The codes a division's parent may have: a town sits in its county, a county in
        its prefecture or, when directly administered (直辖), its province."""
        if len(code) == 9:
            return {code[:6]}
        if code.endswith("0000"):
            return set()
        if code.endswith("00"):
            return {code[:2] + "0000"}
        return {code[:4] + "00", code[:2] + "0000"}


class Unit(models.Model):
    """A body that handles cases: a department, the service office, a district, a town, a leader.

    ``parent`` gives the two-level system: a district's own departments and its
    district service office hang under the district.
    """

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("部门")  # a city department such as 发改委
        OFFICE = "office", _("服务企业办公室")  # the coordinating service office
        DISTRICT = "district", _("区县")  # a district government
        TOWN = "town", _("镇街")  # a town or subdistrict
        LEADER = "leader", _("领导")  # an official on the escalation ladder

    code = models.CharField(
        _("单位代码"), max_length=40, unique=True, validators=[unit_code_validator]
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self):
        return self.name

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("上级单位不能是本单位或其下级。")})
            ancestor = ancestor.parent


class QitongUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """``createsuperuser`` makes a system administrator, not an enterprise user."""
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person with exactly one role, scoped to a unit or to an enterprise."""

    class Role(models.TextChoices):
        OFFICE = "office", _("服务企业办公室")  # triages, dispatches, supervises
        UNIT = "unit", _("承办单位")  # handles the cases dispatched to its unit
        ENTERPRISE = "enterprise", _("企业")  # files and rates its own appeals
        LEADER = "leader", _("领导")  # reads the cockpit, handles escalations
        ADMIN = "admin", _("系统管理员")  # units, users, calendar, sources
        AUDITOR = "auditor", _("安全审计员")  # reads and exports the audit trail, nothing else

    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.ENTERPRISE)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Set whenever a new password is saved (orgs.passwords.HistoryValidator); a staff
    # role must change it every QITONG_PASSWORD_MAX_AGE_DAYS.
    password_changed_at = models.DateTimeField(
        _("密码修改时间"), null=True, blank=True, default=clock.now, editable=False
    )

    objects = QitongUserManager()

    @property
    def is_staff_role(self):
        """Every role but the enterprise's: the password-age and idle-session rules apply."""
        return self.role != self.Role.ENTERPRISE

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="user_enterprise_role_has_no_unit",
                condition=~models.Q(role="enterprise") | models.Q(unit__isnull=True),
            ),
            models.CheckConstraint(
                name="user_only_enterprise_role_has_enterprise",
                condition=models.Q(role="enterprise") | models.Q(enterprise__isnull=True),
            ),
        ]

    def clean(self):
        super().clean()
        scope_rules = {
            self.Role.OFFICE: ("unit", _("服务企业办公室用户必须属于一个单位。")),
            self.Role.UNIT: ("unit", _("承办单位用户必须属于一个单位。")),
            self.Role.LEADER: ("unit", _("领导用户必须属于一个单位。")),
            self.Role.ENTERPRISE: ("enterprise", _("企业用户必须属于一家企业。")),
        }
        if self.role in scope_rules:
            field, message = scope_rules[self.role]
            if getattr(self, f"{field}_id") is None:
                raise ValidationError({field: message})
        if self.role == self.Role.ENTERPRISE and self.unit_id is not None:
            raise ValidationError({"unit": _("企业用户不能属于单位。")})
        if self.role != self.Role.ENTERPRISE and self.enterprise_id is not None:
            raise ValidationError({"enterprise": _("只有企业用户可以属于企业。")})


class PasswordHistory(models.Model):
    """A user's recent password hashes, so that none is used again (orgs.passwords)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="password_history", verbose_name=_("用户")
    )
    password = models.CharField(_("密码（哈希）"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
