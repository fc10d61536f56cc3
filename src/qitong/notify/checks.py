"""The checks of notify's settings (``qitong check``), and the SMS templates they read."""

from django.conf import settings
from django.core import checks


def sms_templates(text=None):
    """``{kind: template id}`` from ``QITONG_SMS_TEMPLATES`` ("default=SMS_1,urge=SMS_2");
    ``ValueError`` naming the part that is not ``kind=id``."""
    text = settings.QITONG_SMS_TEMPLATES if text is None else text
    templates = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        kind, sep, template = (item.strip() for item in part.partition("="))
        if not sep or not kind or not template:
            raise ValueError(part)
        templates[kind] = template
    return templates


def check_sms_settings(app_configs=None, **kwargs):
    """With an SMS gateway configured: its key, its secret and a default template."""
    if not settings.QITONG_SMS_URL:
        return []
    problems = []
    for name in ("QITONG_SMS_KEY_ID", "QITONG_SMS_SECRET"):
        if not getattr(settings, name):
            problems.append(
                checks.Error(f"已设置 QITONG_SMS_URL，但 {name} 为空。", id="notify.E001")
            )
    try:
        templates = sms_templates()
    except ValueError as error:
        problems.append(
            checks.Error(
                f"环境变量 QITONG_SMS_TEMPLATES 中的 {error} 无效：应为 消息类型=模板编号，逗号分隔。",
                id="notify.E002",
            )
        )
    else:
        if "default" not in templates:
            problems.append(
                checks.Error(
                    "环境变量 QITONG_SMS_TEMPLATES 缺少 default=模板编号（未单独配置模板的消息使用）。",
                    id="notify.E003",
                )
            )
    return problems
