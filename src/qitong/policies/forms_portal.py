"""The enterprise portal's filter of its pushes: the 我的政策 page and the portal API parse it alike."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ReadFilter(forms.Form):
    """Read, unread, or both (empty)."""

    read = forms.ChoiceField(
        label=_("阅读状态"),
        required=False,
        choices=[("", _("全部")), ("unread", _("未读")), ("read", _("已读"))],
    )

    def apply(self, pushes):
        """``pushes`` narrowed as asked; an invalid value narrows nothing (see ``checked``)."""
        read = self.cleaned_data.get("read") if self.is_valid() else ""
        return pushes.filter(read_at__isnull=read == "unread") if read else pushes

    def checked(self):
        """``ValidationError`` naming the field (400 over the API) unless valid."""
        if not self.is_valid():
            raise ValidationError({name: list(errors) for name, errors in self.errors.items()})
        return self
