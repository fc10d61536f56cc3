"""How the lists find cases: by a search word, and by the day they were filed.

A word finds a case by its number, its enterprise (name or USCC), or its text.

The text goes through the full-text index (``models.TEXT_INDEX``, built on
``qitong.core.search``) when the word is rare enough to list its cases by id;
a common word, or one the index cannot answer (a lone Chinese character), is
matched in the texts, which read newest first fill a page quickly.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from qitong.appeals.models import TEXT_INDEX
from qitong.core import clock
from qitong.enterprises import uscc
from qitong.enterprises.models import Enterprise

# Up to this many enterprises matching a word are listed by id.
FIRMS_LISTED = 500
# Up to this many cases found by the text index are listed by id.
TEXT_MATCHES_LISTED = 5000


def containing(appeals, word):
    """The ``appeals`` whose number, enterprise, title or content contains ``word``."""
    # The enterprises first (a small table), so each case is not joined to its own;
    # a short list of them lets the database use the appeals' enterprise index.
    firms = Enterprise.objects.filter(
        Q(name__icontains=word) | Q(uscc__icontains=uscc.normalize(word))
    ).values_list("pk", flat=True)
    listed = list(firms[: FIRMS_LISTED + 1])
    if len(listed) <= FIRMS_LISTED:
        firms = listed
    found = TEXT_INDEX.find(word, at_most=TEXT_MATCHES_LISTED)
    if found is None:
        in_text = Q(number__icontains=word) | Q(title__icontains=word) | Q(content__icontains=word)
    else:
        in_text = Q(pk__in=found) | Q(number=word.upper())
    return appeals.filter(in_text | Q(enterprise_id__in=firms))


def submitted_between(appeals, first_day=None, last_day=None):
    """Cases filed on ``first_day`` … ``last_day`` (dates in Asia/Shanghai, both included).

    The calendar's first and last days bound nothing (every case was filed
    between them), and they are left out: their midnights in Asia/Shanghai
    fall outside what a datetime in UTC can hold.
    """
    if first_day and first_day > dt.date.min:
        appeals = appeals.filter(created_at__gte=clock.start_of_day(first_day))
    if last_day and last_day < dt.date.max:
        appeals = appeals.filter(created_at__lt=clock.start_of_day(last_day + dt.timedelta(days=1)))
    return appeals


def check_filing_days(first_day, last_day):
    """A filing-date range must not end before it starts (the error names ``submitted_to``)."""
    if first_day and last_day and first_day > last_day:
        raise ValidationError({"submitted_to": [_("提交日期的结束日不能早于开始日。")]})
