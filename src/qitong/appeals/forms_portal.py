"""The enterprise portal's filing form (its list's filter is ``filters.AppealFilter``).

The filing form only parses the request; the rules on titles, contents and
files stay in ``actions`` and ``uploads`` (the view maps their errors back onto
these fields), except that every upload is judged here first, so that a bad
file stops the filing before anything is written.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qitong.appeals import uploads
from qitong.appeals.actions import CONTENT_MAX, TITLE_MAX
from qitong.appeals.models import Appeal, Category
from qitong.enterprises.models import phone_validator

S = Appeal.Status
MAX_FILES = 10


def category_choices():
    """Active top-level categories, in the order they were set up, grouping their active children.

    A top-level category without children is an option of its own.
    """
    active = list(Category.objects.filter(is_active=True).order_by("id"))  # as seeded
    children = {}
    for category in active:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append((str(category.pk), category.name))
    choices = [("", _("请选择分类"))]
    for category in active:
        if category.parent_id is None:
            choices.append(
                (category.name, children[category.pk])
                if category.pk in children
                else (str(category.pk), category.name)
            )
    return choices


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each judged by its content with ``uploads.inspect``."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [file for file in (data if isinstance(data, (list, tuple)) else [data]) if file]
        if len(files) > MAX_FILES:
            raise ValidationError(_("一次最多上传 %(count)d 个附件。") % {"count": MAX_FILES})
        errors = []
        for upload in files:
            try:
                uploads.inspect(upload)
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    errors.append(
                        _("%(name)s：%(message)s")
                        % {"name": uploads.display_name(upload.name), "message": message}
                    )
        if errors:
            raise ValidationError(errors)
        return files


class FilingForm(forms.Form):
    category = forms.ChoiceField(
        label=_("诉求分类"),
        error_messages={
            "required": _("请选择诉求分类。"),
            "invalid_choice": _("所选分类不存在或已停用，请重新选择。"),
        },
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=TITLE_MAX,
        error_messages={"required": _("请填写标题。")},
        widget=forms.TextInput(
            attrs={"placeholder": _("一句话说明遇到的问题"), "style": "width: 100%"}
        ),
    )
    content = forms.CharField(
        label=_("具体内容"),
        max_length=CONTENT_MAX,
        error_messages={"required": _("请填写具体内容。")},
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("请写明事情经过、涉及的部门或项目、希望得到的帮助。"),
    )
    contact_name = forms.CharField(
        label=_("联系人"), max_length=50, error_messages={"required": _("请填写联系人。")}
    )
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        validators=[phone_validator],
        error_messages={"required": _("请填写联系电话。")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    attachments = AttachmentsField(
        label=_("附件"),
        required=False,
        help_text=_(
            "可选，可一次选择多个文件：PDF、图片（PNG、JPEG、GIF）、Office 文档或纯文本，每个 20 MB 以内。"
        ),
    )

    # error keys of ``actions.file_appeal`` and ``actions.attach`` → fields here
    ACTION_FIELDS = {"file": "attachments"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()

    def clean_category(self):
        try:
            return Category.objects.get(pk=int(self.cleaned_data["category"]), is_active=True)
        except (Category.DoesNotExist, ValueError):
            raise ValidationError(
                self.fields["category"].error_messages["invalid_choice"]
            ) from None

    def add_action_errors(self, exc):
        """Show an action's ``ValidationError`` next to the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            field = self.ACTION_FIELDS.get(key, key)
            self.add_error(field if field in self.fields else None, messages)
        self._describe_errors()

    def full_clean(self):
        super().full_clean()
        self._describe_errors()

    def _describe_errors(self):
        """Point each field in error at its message, so screen readers read it out."""
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                ids = [f"{bound.auto_id}_error"]
                if self.fields[name].help_text:
                    ids.insert(0, f"{bound.auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)
