"""The hash chain of the audit trail: stage, seal, append, verify, prune.

``stage`` writes rows in the caller's transaction, unchained (``Staged``);
``seal`` moves staged rows to the end of the chain in staged order. So an
action's audit row commits with the action itself, and the actions of many
users never queue on the chain's head: only the sealer (a job every few
seconds, and every read of the trail) takes its lock. A row's hash is ``sha256(previous row's hash + content)``, ``content`` being
the row's facts as canonical JSON (``content``). ``append`` writes rows at the
end under the lock of ``Head`` (PostgreSQL serialises writers on it; SQLite's
write transactions are one at a time already), so two writers never link to
the same predecessor. ``verify`` walks the chain from the anchor and names
the first row that does not hold. ``prune`` deletes only rows older than the
retention (never less than ``MIN_RETENTION``) from the start of the chain and
moves the anchor to the last row it deleted, recording that it did.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from qitong.audit.models import Head, Record, Staged
from qitong.core import clock
from qitong.core.bulk import insert_rows

# 等保 2.0 level 3 keeps audit records at least 180 days; the setting may only lengthen it.
MIN_RETENTION = dt.timedelta(days=180)
# Rows read per query while verifying or pruning.
CHUNK = 2000

FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "address",
    "action",
    "target",
    "detail",
    "outcome",
)


@dataclass
class Entry:
    """A row to append: everything but its place in the chain."""

    at: dt.datetime
    action: str
    outcome: str
    user_id: int | None = None
    username: str = ""
    role: str = ""
    address: str = ""
    target: str = ""
    detail: dict = field(default_factory=dict)


def content(row):
    """The canonical text of a row's facts (a ``Record`` or anything with ``FIELDS``)."""
    values = {name: getattr(row, name) for name in FIELDS}
    values["at"] = values["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(prev_hash, row):
    return hashlib.sha256((prev_hash + content(row)).encode()).hexdigest()


def _head_locked():
    head = Head.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a database flushed by a test or by hand: start a new chain
        head, _created = Head.objects.get_or_create(pk=1)
        head = Head.objects.select_for_update().get(pk=1)
    return head


def _plain(detail):
    """The detail as the database will give it back (tuples become lists, dates text)."""
    return json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))


def _facts(entry):
    """The columns a row (staged or chained) takes from an ``Entry`` or a ``Staged`` row."""
    return {
        "at": entry.at,
        "user_id": entry.user_id,
        "username": entry.username[:150],
        "role": entry.role[:10],
        "address": (entry.address or "")[:45],
        "action": entry.action,
        "target": entry.target[:300],
        "detail": _plain(entry.detail),
        "outcome": entry.outcome,
    }


def stage(entries):
    """Write ``entries`` unchained, in the current transaction; ``seal`` chains them.

    Plain rows (``core.bulk.insert_rows``): nothing reads their keys back, so a request's
    one row costs neither model instances nor a compiled INSERT, and on PostgreSQL its
    statement, the same text each time, is prepared once and not waited for.
    """
    rows = [_facts(entry) for entry in entries]
    if rows:  # the columns are ``_facts``' own, in its order
        insert_rows(Staged, tuple(rows[0]), [tuple(row.values()) for row in rows])


def seal():
    """Chain every staged row, in the order staged; returns how many.

    One sealer at a time (the head's lock); rows staged by transactions that
    commit while it runs wait for the next seal.
    """
    sealed = 0
    # Nothing staged (most of the job's runs): no transaction and no lock on the head.
    while Staged.objects.exists():
        with transaction.atomic():
            head = _head_locked()
            staged = list(Staged.objects.order_by("pk")[:CHUNK])
            if not staged:
                return sealed
            _chain(head, staged)
            Staged.objects.filter(pk__in=[row.pk for row in staged]).delete()
        sealed += len(staged)
        if len(staged) < CHUNK:
            break
    return sealed


def append(entries):
    """Write ``entries`` at the end of the chain at once, in order; returns the ``Record``s."""
    with transaction.atomic():
        return _chain(_head_locked(), entries)


def _chain(head, entries):
    """Link ``entries`` (``Entry`` or ``Staged``) after ``head``, locked by the caller."""
    rows = []
    for entry in entries:
        row = Record(seq=head.seq + 1, prev_hash=head.hash, **_facts(entry))
        row.hash = digest(row.prev_hash, row)
        head.seq, head.hash = row.seq, row.hash
        rows.append(row)
    Record.objects.bulk_create(rows)
    head.save(update_fields=["seq", "hash"])
    return rows


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: ``broken`` is the seq of the first row that fails, with why."""

    checked: int
    broken: int | None = None
    reason: str = ""

    @property
    def ok(self):
        return self.broken is None


def verify():
    """Walk the chain from the anchor to the head; the first row that does not hold, with why."""
    head = Head.objects.filter(pk=1).first() or Head(pk=1)
    expected_seq, expected_prev = head.anchor_seq + 1, head.anchor_hash
    checked = 0
    while True:
        rows = list(Record.objects.filter(seq__gte=expected_seq).order_by("seq")[:CHUNK])
        for row in rows:
            if row.seq != expected_seq:
                return Verdict(
                    checked,
                    expected_seq,
                    _("缺少第 %(first)d–%(last)d 条记录")
                    % {"first": expected_seq, "last": row.seq - 1},
                )
            if row.prev_hash != expected_prev:
                return Verdict(checked, row.seq, _("与前一条记录的哈希不衔接"))
            if digest(row.prev_hash, row) != row.hash:
                return Verdict(checked, row.seq, _("内容与其哈希不符"))
            checked += 1
            expected_seq, expected_prev = row.seq + 1, row.hash
        if len(rows) < CHUNK:
            break
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        return Verdict(
            checked,
            expected_seq,
            _("链在第 %(last)d 条结束，链端记录为第 %(head)d 条")
            % {"last": expected_seq - 1, "head": head.seq},
        )
    return Verdict(checked)


def retention():
    """How long rows are kept: ``QITONG_AUDIT_RETENTION_DAYS``, never less than 180 days."""
    days = getattr(settings, "QITONG_AUDIT_RETENTION_DAYS", 180)
    return max(dt.timedelta(days=days), MIN_RETENTION)


def prune(now=None):
    """Delete the rows older than the retention from the chain's start; returns how many.

    Only a prefix goes (up to the first row still within the retention), so the
    rest stays one chain; the anchor moves to the last row deleted, and the
    pruning is itself recorded at the end of the chain.
    """
    now = now or clock.now()
    cutoff = now - retention()
    with transaction.atomic():
        head = _head_locked()
        kept = (
            Record.objects.filter(at__gte=cutoff)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        last = (kept - 1) if kept is not None else head.seq
        if last <= head.anchor_seq:
            return 0
        anchor = Record.objects.get(seq=last)
        removed = 0
        start = head.anchor_seq
        while start < last:
            end = min(start + CHUNK, last)
            removed += Record.objects.filter(seq__gt=start, seq__lte=end).delete()[0]
            start = end
        head.anchor_seq, head.anchor_hash, head.anchored_at = anchor.seq, anchor.hash, now
        head.save(update_fields=["anchor_seq", "anchor_hash", "anchored_at"])
        append(
            [
                Entry(
                    at=now,
                    action=Record.Action.AUDIT,
                    outcome=Record.Outcome.SUCCESS,
                    username="system",
                    target="prune",
                    detail={
                        "removed": removed,
                        "through_seq": anchor.seq,
                        "before": cutoff.isoformat(),
                    },
                )
            ]
        )
    return removed
