"""Every change to the policy library's rows: sources added and retired by staff, and what a
crawl cycle found written as policies, pages, attachments and the run's record.

The crawler reads the web without touching the database and hands its results
here; each document is written in its own transaction, so one bad page never
loses the others, and a source's health and the run's counts are updated
together.
"""

import hashlib
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import unquote, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from qitong.core import bulk, clock
from qitong.enterprises.industries import validate_industry
from qitong.enterprises.models import Enterprise, Qualification
from qitong.notify import outbox
from qitong.notify.models import Message
from qitong.orgs import scope
from qitong.orgs.models import Region, User
from qitong.policies import access, classify, dedup, matching, search
from qitong.policies.addresses import canonical
from qitong.policies.models import Attachment, CrawlRun, Page, Policy, PolicySource, Push, RobotsTxt

# A failing source waits 3 minutes, then 6, 12… at most a day; after 5 failures in a row
# it is flagged for staff.
BACKOFF_FIRST = timedelta(minutes=3)
BACKOFF_MOST = timedelta(days=1)
FLAG_AFTER = 5

FIELDS = ["title", "body", "issuer", "number", "index_number", "subject", "written", "published"]


# --- sources -------------------------------------------------------------------------------


def add_source(**values):
    """A new source from staff (admin or CLI); ``ValidationError`` names the bad field."""
    source = PolicySource(**values)
    source.full_clean()
    source.save()
    return source


def _source(source_id):
    try:
        return PolicySource.objects.select_for_update().get(pk=source_id)
    except PolicySource.DoesNotExist:
        raise ValidationError({"id": _("政策来源 %(id)s 不存在。") % {"id": source_id}}) from None


# Who acts at the command line (``qitong policysource``): the operator, trusted as staff.
COMMAND_LINE = "command line"


def _check_keeper(acting_user):
    """The gate of the sources' actions: the library's keepers (403), or the command line."""
    if acting_user is not COMMAND_LINE and not access.keeps_library(acting_user):
        raise PermissionDenied


@transaction.atomic
def disable_source(source_id, *, acting_user):
    _check_keeper(acting_user)
    source = _source(source_id)
    source.enabled = False
    source.save(update_fields=["enabled"])
    return source


@transaction.atomic
def enable_source(source_id, *, acting_user):
    """Back in the cycle at once: its backoff and flag are cleared, as staff looked at it."""
    _check_keeper(acting_user)
    source = _source(source_id)
    source.enabled = True
    source.consecutive_failures = 0
    source.backoff_until = None
    source.flagged = False
    source.save(update_fields=["enabled", "consecutive_failures", "backoff_until", "flagged"])
    return source


@transaction.atomic
def remove_source(source_id):
    """The source and the pages read through it; the policies stay in the library."""
    source = _source(source_id)
    source.delete()


# --- a crawl cycle's results ---------------------------------------------------------------


def start_run(source_count):
    return CrawlRun.objects.create(sources=source_count)


def finish_run(run):
    run.finished_at = clock.now()
    run.save(update_fields=["finished_at"])


def _fill(policy, document, fingerprint, *, blanks_only=False):
    for name in FIELDS:
        value = getattr(document, name)
        if name in policy.corrected:  # staff's word stands, whatever the page says now
            continue
        if blanks_only and getattr(policy, name):
            continue
        if value or not blanks_only:
            setattr(policy, name, value)
    policy.simhash = fingerprint if policy.body == document.body else dedup.simhash(policy.body)
    policy.band0, policy.band1, policy.band2, policy.band3 = dedup.bands(policy.simhash)


def same_document(document, key, source, fingerprint):
    """The policy a newly read page republishes, if the library has it already.

    The same address read through another source is the same page; otherwise
    a body whose SimHash is within ``dedup.MAX_DISTANCE`` bits, or which shares a
    band or the title and resembles the body closely (``dedup.SAME_TEXT``) —
    unless the two carry different document numbers or unlike titles (templated
    notices differ in little else); a body too short to compare must match by
    number and title.
    """
    page = (
        Page.objects.filter(url=key, policy__isnull=False)
        .exclude(source=source)
        .select_related("policy")
        .first()
    )
    if page:
        return page.policy
    if not fingerprint:  # too short to compare by its text
        if document.number and document.title:
            return Policy.objects.filter(number=document.number, title=document.title).first()
        return None
    b = dedup.bands(fingerprint)
    candidates = Policy.objects.filter(
        Q(band0=b[0]) | Q(band1=b[1]) | Q(band2=b[2]) | Q(band3=b[3]) | Q(title=document.title)
    ).exclude(simhash=0)
    for policy in candidates.only("id", "simhash", "number", "title")[:200]:
        if policy.number and document.number and policy.number != document.number:
            continue
        if dedup.resemblance(policy.title, document.title, size=2) < dedup.SAME_TITLE:
            continue
        if dedup.distance(policy.simhash, fingerprint) <= dedup.MAX_DISTANCE:
            return Policy.objects.get(pk=policy.pk)
        body = Policy.objects.filter(pk=policy.pk).values_list("body", flat=True).get()
        if dedup.resemblance(body, document.body) >= dedup.SAME_TEXT:
            return Policy.objects.get(pk=policy.pk)
    return None


def _store_files(policy, files):
    have = set(policy.attachments.values_list("url", flat=True))
    for url, name, content in files:
        key = canonical(url)
        if key in have:
            continue
        have.add(key)
        digest = hashlib.sha256(content).hexdigest()
        extension = posixpath.splitext(unquote(urlsplit(url).path))[1].lower()[:10]
        attachment = Attachment(
            policy=policy, url=key, name=name[:300], size=len(content), sha256=digest
        )
        path = f"policies/attachments/{digest[:2]}/{digest}{extension}"
        if default_storage.exists(path):  # stored by content: a file shared by sites is kept once
            attachment.file.name = path
        else:
            attachment.file.save(extension, ContentFile(content), save=False)
        attachment.save()


@transaction.atomic
def record_document(source, detail):
    """Write one detail page read by the crawler; returns "new", "updated", "duplicate" or None."""
    now = clock.now()
    page = Page.objects.select_for_update().filter(source=source, url=detail.key).first()
    if page is None:
        page = Page(source=source, url=detail.key, kind=Page.Kind.DETAIL)
    page.listed_as = detail.listed_as
    page.fetched_at = now
    document = detail.document
    if document is None or (page.policy_id and page.content_hash == detail.content_hash):
        # Not changed (304, the same content) or nothing in it: only its list entry is new.
        page.save()
        return None
    fingerprint = dedup.simhash(document.body)
    if page.policy_id:
        # Locked: a correction by staff committed meanwhile must not be written over.
        policy = Policy.objects.select_for_update().get(pk=page.policy_id)
        _fill(policy, document, fingerprint)
        policy.updated_at = now
        policy.save()
        classify.reclassify(policy, source)
        outcome = "updated"
    else:
        policy = same_document(document, detail.key, source, fingerprint)
        if policy is not None:
            policy = Policy.objects.select_for_update().get(pk=policy.pk)
            _fill(
                policy, document, fingerprint, blanks_only=True
            )  # a copy may say what the first one lacked
            policy.save()
            outcome = "duplicate"
        else:
            policy = Policy(first_seen_at=now, updated_at=now)
            _fill(policy, document, fingerprint)
            policy.save()
            classify.reclassify(policy, source)
            outcome = "new"
    page.policy = policy
    page.etag, page.last_modified = detail.etag, detail.last_modified
    page.content_hash = detail.content_hash
    page.save()
    _store_files(policy, detail.files)
    search.index_policies([policy.pk])  # its text, date or tags may have changed
    return outcome


def _record_lists(source, lists, *, keep_validators):
    now = clock.now()
    for key, (etag, last_modified) in lists.items():
        if not keep_validators:
            etag = last_modified = ""
        Page.objects.update_or_create(
            source=source,
            url=key,
            defaults={
                "kind": Page.Kind.LIST,
                "etag": etag,
                "last_modified": last_modified,
                "fetched_at": now,
            },
        )


# A source's health: written by every cycle, shown read-only in the admin.
HEALTH = [
    "last_run_at",
    "last_success_at",
    "last_error",
    "consecutive_failures",
    "backoff_until",
    "flagged",
]


def _healthy(now):
    """The ``HEALTH`` fields after a cycle that read the source fine (one or many sources)."""
    return dict(zip(HEALTH, [now, now, "", 0, None, False], strict=True))


def _health(source, failed):
    """A source's health after this cycle: reset by a success, backed off by a failure."""
    now = clock.now()
    source.last_run_at = now
    if not failed:
        for name, value in _healthy(now).items():
            setattr(source, name, value)
    else:
        source.last_error = failed
        source.consecutive_failures += 1
        wait = BACKOFF_FIRST * 2 ** min(source.consecutive_failures - 1, 20)
        source.backoff_until = now + min(wait, BACKOFF_MOST)
        source.flagged = source.flagged or source.consecutive_failures >= FLAG_AFTER
    source.save(update_fields=HEALTH)


def keep_robots(files):
    """The robots.txt files a cycle read, kept for the next day's cycles."""
    now = clock.now()
    for host, (status, body) in files.items():
        RobotsTxt.objects.update_or_create(
            host=host, defaults={"status": status, "body": body, "fetched_at": now}
        )


@transaction.atomic
def record_quiet_sources(run, sources, results):
    """The sources whose list had not changed: healthy, in a few statements whatever their number."""
    now = clock.now()
    PolicySource.objects.filter(pk__in=[source.pk for source in sources]).update(**_healthy(now))
    run = CrawlRun.objects.select_for_update().get(pk=run.pk)
    for source, result in zip(sources, results, strict=True):
        run.report[str(source.pk)] = {
            "name": source.name,
            "seconds": result.seconds,
            "fetched": 0,
            "new": 0,
            "updated": 0,
            "duplicates": 0,
            "errors": [],
        }
    run.save(update_fields=["report"])
    return run


def record_source_result(run, source, result):
    """Everything one source's task found: its pages, its policies, its health, the run's counts."""
    if result.skipped:  # not its fault: its health stays as it was
        with transaction.atomic():
            run = CrawlRun.objects.select_for_update().get(pk=run.pk)
            run.report[str(source.pk)] = {"name": source.name, "skipped": True}
            run.save(update_fields=["report"])
        return run
    counts = {"new": 0, "updated": 0, "duplicate": 0}
    errors = list(result.errors)
    if result.failed:
        errors.insert(0, result.failed)
    with transaction.atomic():
        _record_lists(source, result.lists, keep_validators=not result.incomplete)
    for detail in result.details:
        try:
            outcome = record_document(source, detail)
        except Exception as exc:  # one page the database refuses must not lose the rest
            errors.append(_("保存 %(url)s 失败：%(error)s") % {"url": detail.url, "error": exc})
            continue
        if outcome:
            counts[outcome] += 1
    with transaction.atomic():
        source = PolicySource.objects.select_for_update().get(pk=source.pk)
        _health(source, result.failed)
        if result.resume_url is not None:
            source.resume_url = result.resume_url[:1000]
            source.save(update_fields=["resume_url"])
        run = CrawlRun.objects.select_for_update().get(pk=run.pk)
        run.fetched += result.fetched
        run.new += counts["new"]
        run.updated += counts["updated"]
        run.duplicates += counts["duplicate"]
        run.errors += len(errors)
        run.report[str(source.pk)] = {
            "name": source.name,
            "seconds": result.seconds,
            "fetched": result.fetched,
            "new": counts["new"],
            "updated": counts["updated"],
            "duplicates": counts["duplicate"],
            "errors": errors[:50],
        }
        run.save()
    return run


# === Staff corrections =====================================================================
# The library's keepers correct what the crawl or the classifier got wrong; a corrected
# field is named in ``Policy.corrected`` and neither a later crawl (``_fill``) nor the
# classifier (``classify.reclassify``) writes it again, until staff hand it back.

# What staff may correct: the page's own words, and everything the classifier fills.
CORRECTABLE = [
    "title",
    "issuer",
    "number",
    "written",
    "published",
    "level",
    "region",
    "category",
    "valid_from",
    "valid_until",
    "industries",
    "sizes",
    "tiers",
    "regions",
    "qualifications",
    "interprets",
]
# Fields read from the page: correcting one may change what the classifier reads.
READ_FROM_PAGE = {"title", "issuer", "number", "written", "published"}


def _label(name):
    return str(Policy._meta.get_field(name).verbose_name)


def _items(value):
    """A list from a list, or from text separated by commas, semicolons or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item for item in re.split(r"[\s,，;；、]+", value) if item]
    return [str(item).strip() for item in value if str(item).strip()]


def _day(value):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(value) from None


def _text(name, value, limit, *, required=False):
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(_("%(field)s：不能为空。") % {"field": _label(name)})
    if len(text) > limit:
        raise ValidationError(
            _("%(field)s：不能超过 %(limit)d 个字。") % {"field": _label(name), "limit": limit}
        )
    return text


def _choices(name, value, allowed):
    chosen = []
    for item in _items(value):
        if item not in allowed:
            raise ValidationError(
                _("%(field)s：“%(value)s”不是有效的选项。") % {"field": _label(name), "value": item}
            )
        if item not in chosen:
            chosen.append(item)
    return [item for item in allowed if item in chosen]


def _region(name, code):
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError(
            _("%(field)s：行政区划代码 %(value)s 不存在。") % {"field": _label(name), "value": code}
        )
    return region


def _correction(policy, name, value):
    """``value`` for field ``name`` of ``policy``, checked; ValidationError (a message) if bad."""
    if name in ("title", "issuer", "number"):
        limit = Policy._meta.get_field(name).max_length
        return _text(name, value, limit, required=name == "title")
    if name in ("written", "published", "valid_from", "valid_until"):
        try:
            return _day(value)
        except ValueError:
            raise ValidationError(
                _("%(field)s：“%(value)s”不是有效的日期（格式为 2024-01-31）。")
                % {"field": _label(name), "value": value}
            ) from None
    if name == "level":
        return (_choices(name, value or "", Policy.Level.values) or [""])[0]
    if name == "category":
        chosen = _choices(name, value or "", Policy.Category.values)
        if len(chosen) != 1:
            raise ValidationError(_("%(field)s：请选择一个类别。") % {"field": _label(name)})
        return chosen[0]
    if name == "sizes":
        return _choices(name, value, Enterprise.Size.values)
    if name == "tiers":
        return _choices(name, value, Enterprise.Tier.values)
    if name == "industries":
        codes = []
        for code in _items(value):
            code = code.upper()
            try:
                validate_industry(code)
            except ValidationError as exc:
                raise ValidationError(
                    _("%(field)s：%(message)s")
                    % {"field": _label(name), "message": exc.messages[0]}
                ) from None
            if code not in codes:
                codes.append(code)
        return sorted(codes)
    if name == "region":
        return _region(name, str(value).strip()) if value not in (None, "") else None
    if name == "regions":
        return [_region(name, code) for code in dict.fromkeys(_items(value))]
    if name == "qualifications":
        codes = list(dict.fromkeys(_items(value)))
        found = {row.code: row for row in Qualification.objects.filter(code__in=codes)}
        for code in codes:
            if code not in found:
                raise ValidationError(
                    _("%(field)s：资质代码 %(value)s 不存在。")
                    % {"field": _label(name), "value": code}
                )
        return [found[code] for code in codes]
    if name == "interprets":
        if value in (None, ""):
            return None
        target = Policy.objects.filter(pk=int(value)).first() if str(value).isdigit() else None
        if target is None:
            raise ValidationError(
                _("%(field)s：政策 %(value)s 不存在。") % {"field": _label(name), "value": value}
            )
        if target.pk == policy.pk:
            raise ValidationError(_("%(field)s：不能是本政策自己。") % {"field": _label(name)})
        if target.interprets_id == policy.pk:
            raise ValidationError(
                _("%(field)s：政策 %(value)s 是本政策的解读，两者不能互相解读。")
                % {"field": _label(name), "value": target.pk}
            )
        return target
    raise ValidationError(_("字段 %(name)s 不能更正。") % {"name": name})


def _locked_policy(policy_id):
    try:
        return Policy.objects.select_for_update().get(pk=policy_id)
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"id": _("政策 %(id)s 不存在。") % {"id": policy_id}}) from None


def correct_policy(actor, policy_id, **changes):
    """Staff's correction of some of a policy's fields; each field given becomes staff's.

    The library's keepers only (403). Every field given is checked (a
    ``ValidationError`` names each bad one, in Chinese, and nothing is written),
    set, and named in ``corrected``, changed or not: a value staff confirmed is
    theirs too. A category given is staff's (``category_by=staff``), which the
    classifier then learns from. A corrected title, issuer or date is read again
    by the classifier for the fields still its own (level, region…).
    """
    _check_keeper(actor)
    if not changes:
        raise ValidationError({"__all__": _("没有要更正的字段。")})
    with transaction.atomic():
        policy = _locked_policy(policy_id)
        values, errors = {}, {}
        for name, value in changes.items():
            if name not in CORRECTABLE:
                errors[name] = [_("字段 %(name)s 不能更正。") % {"name": name}]
                continue
            try:
                values[name] = _correction(policy, name, value)
            except ValidationError as exc:
                errors[name] = exc.messages
        start = values.get("valid_from", policy.valid_from)
        end = values.get("valid_until", policy.valid_until)
        if start and end and end < start and "valid_until" not in errors:
            errors["valid_until"] = [
                _("%(field)s：不能早于有效期起（%(start)s）。")
                % {"field": _label("valid_until"), "start": start.isoformat()}
            ]
        if errors:
            raise ValidationError(errors)
        fields = ["corrected", "updated_at"]
        for name, value in values.items():
            if name in ("regions", "qualifications"):
                getattr(policy, name).set(value)
                continue
            setattr(policy, name, value)
            fields.append(name)
        if "category" in values:
            policy.category_by = Policy.CategoryBy.STAFF
            fields.append("category_by")
        policy.corrected = sorted(set(policy.corrected) | set(values))
        policy.updated_at = clock.now()
        policy.save(update_fields=fields)
        if READ_FROM_PAGE & set(values):
            classify.reclassify(policy)
        search.index_policies([policy.pk])
    return policy


def uncorrect_policy(actor, policy_id, fields):
    """Hand fields back to the machine: they leave ``corrected`` and are classified again at once.

    A field read from the page (title, issuer…) keeps staff's value until the page
    is read changed again.
    """
    _check_keeper(actor)
    fields = list(dict.fromkeys(fields or []))
    unknown = [name for name in fields if name not in CORRECTABLE]
    if unknown:
        raise ValidationError(
            {name: [_("字段 %(name)s 不能更正。") % {"name": name}] for name in unknown}
        )
    with transaction.atomic():
        policy = _locked_policy(policy_id)
        handed = [name for name in fields if name in policy.corrected]
        if not handed:
            return policy
        policy.corrected = [name for name in policy.corrected if name not in handed]
        policy.updated_at = clock.now()
        policy.save(update_fields=["corrected", "updated_at"])
        classify.reclassify(policy)
        search.index_policies([policy.pk])
    return policy


# === Push, digest and reading ===============================================================
# (the push of new policies to the enterprises they fit, ``policies.matching``; the daily
# digest e-mail; an enterprise opening a push). Each runs in short transactions — one
# policy, one batch of enterprises — so a run killed midway leaves whole policies and whole
# digests behind it, and the next run does the rest.

# The day's digest goes out from this hour (Asia/Shanghai) and carries what was pushed
# before it; ``policy-digest`` runs often, so it goes within minutes of the hour.
DIGEST_HOUR = 8
DIGEST_BATCH = 500  # enterprises per digest transaction
DIGEST_KIND = "policy_digest"
DIGEST_LISTED = 50  # policies named in one e-mail; the rest are counted


# Policies matched in one transaction (one INSERT … SELECT of their pushes): a run killed
# midway leaves whole batches. Within SQLite's 500 terms of one compound SELECT.
PUSH_BATCH = 100


def _claim_policies(now, count):
    """Claim up to ``count`` of the oldest policies waiting to be matched; returns their ids.

    The candidates are read (on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so a second worker
    claims the next ones instead of waiting for these; SQLite has one writer at a time),
    then one conditional UPDATE … RETURNING of ``matched_at`` marks those still unmatched
    and says which. (Read apart: as a subquery of the UPDATE, PostgreSQL may run the
    ``LIMIT`` again and claim more.) The claim commits with the policies' pushes (one
    transaction), so a worker that dies leaves them unmatched for the next run.
    """
    candidates = matching.waiting_policies().order_by("pk").values_list("pk", flat=True)
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    ids = [int(pk) for pk in candidates[:count]]
    if not ids:
        return []
    meta, quote = Policy._meta, connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    field = meta.get_field("matched_at")
    matched_at = quote(field.column)
    announced_at = quote(meta.get_field("announced_at").column)
    digested_at = quote(meta.get_field("digested_at").column)
    with connection.cursor() as cursor:
        cursor.execute(  # (the pushes of this matching are yet to be told of and digested)
            f"UPDATE {table} SET {matched_at} = %s, {announced_at} = NULL, {digested_at} = NULL "
            f"WHERE {pk} IN ({', '.join(map(str, ids))}) AND {matched_at} IS NULL "
            f"RETURNING {pk}",
            [field.get_db_prep_save(now, connection)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def push_new_policies(now=None, *, limit=None):
    """Match every policy not matched yet, push it to the enterprises it fits, and tell them.

    ``PUSH_BATCH`` policies a transaction: their claim and all their pushes, written by one
    statement (``matching.push``). Then, in one more transaction, the inbox messages of
    every pushed enterprise's users: one per enterprise and run, however many policies it
    was pushed (``matching.announce``, which also tells of the pushes of a run that died
    before it could). Idempotent (a matched policy is never claimed again, the unique pair
    keeps each push single, an announced policy is never told of again), safe on several
    workers at once (each claims other policies), and a run killed midway leaves whole
    batches. ``limit`` caps the policies of one run. On PostgreSQL a run without a limit and
    outside a transaction pushes ``PUSH_WORKERS`` batches at once, each on a connection of
    its own. Returns ``{"policies", "pushes", "messages"}``.
    """
    now = now or clock.now()
    with _bulk_writes():
        if limit is None and connection.vendor == "postgresql" and not connection.in_atomic_block:
            # The work is the database's, a core for each batch: ``PUSH_WORKERS`` batches at
            # once, each on a connection of its own (they claim different policies).
            with ThreadPoolExecutor(PUSH_WORKERS, thread_name_prefix="push") as pool:
                done = list(pool.map(_push_on_own_connection, [now] * PUSH_WORKERS))
        else:
            done = [_push_batches(now, limit)]
        bulk.analyse_if_stale(Push, sum(pushes for _policies, pushes in done))
        with transaction.atomic():
            bulk.without_jit()
            messages = matching.announce(now)
    return {
        "policies": sum(policies for policies, _pushes in done),
        "pushes": sum(pushes for _policies, pushes in done),
        "messages": messages,
    }


# Batches pushed at once on PostgreSQL (SQLite has one writer).
PUSH_WORKERS = 2


def _push_batches(now, limit=None):
    """Claim and push batches until none wait or ``limit`` policies are done: ``(policies,
    pushes)``."""
    policies = pushes = 0
    while limit is None or policies < limit:
        count = PUSH_BATCH if limit is None else min(PUSH_BATCH, limit - policies)
        with transaction.atomic():
            bulk.without_jit()
            claimed = _claim_policies(now, count)
            if not claimed:
                break
            pushes += matching.push(claimed, now)
        policies += len(claimed)
    return policies, pushes


def _push_on_own_connection(now):
    try:
        return _push_batches(now)
    finally:
        connection.close()  # this thread's


# SQLite's page cache while a run writes its pushes (KiB): a province's run writes millions of
# index entries spread over the enterprises, which the default 2 MiB would read and spill
# again and again.
PUSH_CACHE_KIB = 131072


@contextmanager
def _bulk_writes():
    """On SQLite, a push run's connection checks no foreign keys, caches more pages and
    leaves the log's checkpoints to a thread beside it (``bulk.checkpoints_beside``).

    The pushes and messages a run writes reference only rows it has just read in the same
    transaction (the claimed policies, the enterprises and users selected), and SQLite has
    one writer, so nothing can remove them meanwhile: checking each of millions of rows'
    references again cost more than writing them. Outside any transaction only (Django's
    ``constraint_checks_disabled`` does nothing inside one, where the checks stay on);
    both settings are put back afterwards. PostgreSQL is left as it is.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache_size,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(PUSH_CACHE_KIB)}")
    try:
        with connection.constraint_checks_disabled(), bulk.checkpoints_beside("push-checkpoint"):
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def send_digests(now=None):
    """The daily digest: one e-mail to each enterprise user listing the pushes not yet carried.

    From ``DIGEST_HOUR`` on, each enterprise with pushes made before that hour and not yet
    digested gets its digest once that day: its enterprise users with an e-mail address
    each receive one message (inbox and e-mail, through the outbox), and the pushes are
    marked ``digested_at``. Enterprises go ``DIGEST_BATCH`` at a time, one transaction
    each; within it the enterprises are locked (``FOR NO KEY UPDATE SKIP LOCKED`` on
    PostgreSQL, which lets pushes to them go on) and one already digested today is left
    alone, so two runs at once, or a run again, never send a second digest that day. A
    policy whose pushes were all carried is marked ``digested_at``, and is read no more.
    Returns ``{"enterprises", "emails", "pushes"}``.
    """
    now = now or clock.now()
    summary = {"enterprises": 0, "emails": 0, "pushes": 0}
    today = clock.local(now).date()
    cutoff = clock.start_of_day(today) + timedelta(hours=DIGEST_HOUR)
    if now < cutoff:
        return summary
    # The pushes waiting are those of the policies matched before the hour whose pushes
    # were not all carried yet (read through the policies: the pushes need no index of
    # their own for it).
    pending = Policy.objects.filter(matched_at__lt=cutoff, digested_at__isnull=True)
    waiting = Push.objects.filter(
        policy__in=pending.values("pk"), digested_at__isnull=True, pushed_at__lt=cutoff
    )
    enterprise_ids = sorted(set(waiting.order_by().values_list("enterprise_id", flat=True)))
    for start in range(0, len(enterprise_ids), DIGEST_BATCH):
        chunk = enterprise_ids[start : start + DIGEST_BATCH]
        with transaction.atomic():
            done = _digest(chunk, now, cutoff, clock.start_of_day(today))
        for key in summary:
            summary[key] += done[key]
    # The policies none of whose pushes waits any more (an enterprise another run holds, or
    # one digested earlier today, keeps its policies waiting for the next run).
    pending.exclude(
        Exists(
            Push.objects.filter(
                policy=OuterRef("pk"), digested_at__isnull=True, pushed_at__lt=cutoff
            )
        )
    ).update(digested_at=now)
    return summary


def _digest(enterprise_ids, now, cutoff, day_start):
    """One batch of ``send_digests``, inside its transaction."""
    locked = list(
        Enterprise.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(pk__in=enterprise_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    digested_today = set(
        Push.objects.filter(enterprise_id__in=locked, digested_at__gte=day_start)
        .order_by()
        .values_list("enterprise_id", flat=True)
    )
    due = [pk for pk in locked if pk not in digested_today]
    rows = list(
        Push.objects.filter(enterprise_id__in=due, digested_at__isnull=True, pushed_at__lt=cutoff)
        .order_by("enterprise_id", "pushed_at", "pk")
        .values_list(
            "pk",
            "enterprise_id",
            "reasons",
            "policy__push_reasons",
            "policy__title",
            "policy__issuer",
            "policy__published",
            "policy__public",
        )
    )
    if not rows:
        return {"enterprises": 0, "emails": 0, "pushes": 0}
    carried = [row[0] for row in rows]
    for start in range(0, len(carried), DIGEST_BATCH * 10):  # within any parameter limit
        Push.objects.filter(pk__in=carried[start : start + DIGEST_BATCH * 10]).update(
            digested_at=now
        )
    listed = {}
    for _pk, enterprise_id, own, shared, title, issuer, published, public in rows:
        if public:  # a policy withdrawn from the public since is carried silently
            reasons = Push.reasons_of(own, shared)
            listed.setdefault(enterprise_id, []).append((title, issuer, published, reasons))
    users = {}
    for pk, email, enterprise_id in (
        User.objects.filter(
            enterprise_id__in=list(listed), role=User.Role.ENTERPRISE, is_active=True
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", "email", "enterprise_id")
    ):
        users.setdefault(enterprise_id, []).append(matching.Recipient(pk, email))
    url = reverse("portal-policies")
    letters = [
        (users[enterprise_id], *_digest_words(policies), url)
        for enterprise_id, policies in listed.items()
        if enterprise_id in users
    ]
    emails = outbox.enqueue_many(letters, kind=DIGEST_KIND, email=True) if letters else 0
    return {"enterprises": len({row[1] for row in rows}), "emails": emails, "pushes": len(rows)}


def _digest_words(policies):
    """``(subject, body)`` of one enterprise's digest: ``policies`` as (title, issuer, date, reasons)."""
    subject = _("政策推送日报：%(count)s 项新政策与贵企业相符") % {"count": len(policies)}
    lines = [_("以下政策与贵企业的条件相符，登录企通“我的政策”可查看全文："), ""]
    for number, (title, issuer, published, reasons) in enumerate(policies[:DIGEST_LISTED], start=1):
        lines.append(f"{number}. {title}")
        source = "，".join(part for part in (issuer, published and f"{published:%Y-%m-%d}") if part)
        if source:
            lines.append(f"   {source}")
        if reasons:
            lines.append("   " + _("匹配条件：%(reasons)s") % {"reasons": "；".join(reasons)})
    if len(policies) > DIGEST_LISTED:
        lines.append(
            _("……另有 %(count)s 项，请登录查看。") % {"count": len(policies) - DIGEST_LISTED}
        )
    return subject, "\n".join(lines)


def mark_push_read(user, push_id, *, now=None):
    """Someone of the enterprise opened a push: mark it read (the first time counts).

    Only enterprise users (403 for others), only their own enterprise's pushes (404 for
    any other). Their inbox message about it is marked read too: the push's own, or the
    run's message of several policies once every push it told of is read.
    """
    scope.require_role(user, scope.Role.ENTERPRISE)
    now = now or clock.now()
    with transaction.atomic():
        try:
            push = access.visible_pushes(user).get(pk=push_id)
        except (Push.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        # Conditional: of two openings at once the first time counts, without a lock.
        if Push.objects.filter(pk=push.pk, read_at__isnull=True).update(read_at=now):
            push.read_at = now
        # The message of this push alone, or the run's message of several once they are read.
        told = Q(url=matching.open_url(push.pk))
        if not Push.objects.filter(
            enterprise_id=push.enterprise_id, pushed_at=push.pushed_at, read_at__isnull=True
        ).exists():
            told |= Q(created_at=push.pushed_at, url=reverse("portal-policies"))
        unread = Message.objects.filter(
            told, recipient=user, kind=matching.MESSAGE_KIND, read_at__isnull=True
        )
        for message in unread:
            outbox.mark_read(message, now=now)
    return push
