"""Policies for the library's search, written as the crawler writes them.

``Library.publish`` hands a read page to ``actions.record_document`` (what a crawl cycle
does with each detail page) and then, for what a test needs exactly, has a keeper correct
the classifier's category, level and region through ``actions.correct_policy``: the
index is kept by those actions alone.
"""

import datetime as dt
import hashlib
from itertools import count

from qitong.orgs.models import Unit, User
from qitong.policies import actions, crawler, extract, search
from qitong.policies.models import Policy
from tests.conftest import _user

_serial = count(1)


class Library:
    def __init__(self):
        self.source = actions.add_source(
            name="济南市人民政府",
            list_url="https://www.jinan.gov.cn/col/list.html",
            link_selector="a",
        )
        office = Unit.objects.create(
            code="lib-office", name="市服务企业办公室", kind=Unit.Kind.OFFICE
        )
        self.keeper = _user("lib-keeper", User.Role.OFFICE, unit=office)

    @staticmethod
    def second_source():
        """Another site, which republishes some of the first one's policies."""
        return actions.add_source(
            name="济南市人社局",
            list_url="https://hrss.jinan.gov.cn/col/list.html",
            link_selector="a",
        )

    def read(self, policy_or_url, title, body="", *, source=None, **fields):
        """The crawler reads a page (new, or again at the same address) and records it."""
        url = policy_or_url if isinstance(policy_or_url, str) else None
        if url is None:
            url = policy_or_url.pages.order_by("pk").first().url
        document = extract.Document(title=title, body=body, **fields)
        digest = hashlib.sha256(f"{title}\n{body}\n{fields}".encode()).hexdigest()
        detail = crawler.Detail(
            url=url, key=url, listed_as=title, content_hash=digest, document=document
        )
        actions.record_document(source or self.source, detail)
        return Policy.objects.get(pages__url=url, pages__source=source or self.source)

    def publish(
        self,
        title,
        body="",
        *,
        published=dt.date(2024, 5, 1),
        issuer="济南市人民政府",
        number="",
        category=None,
        level=None,
        region=None,
        public=True,
    ):
        """A new policy at an address of its own; category, level and region set by a keeper."""
        serial = next(_serial)
        url = f"https://www.jinan.gov.cn/art/2024/5/{serial}/art_{serial}.html"
        # A number of its own keeps unlike test texts from being taken for one document.
        policy = self.read(
            url,
            title,
            body,
            published=published,
            issuer=issuer,
            number=number or f"测试〔2024〕{serial}号",
        )
        changes = {
            name: value
            for name, value in (("category", category), ("level", level), ("region", region))
            if value is not None
        }
        if changes:
            actions.correct_policy(self.keeper, policy.pk, **changes)
        if not public:
            # No action hides a policy yet: the column and its index entry, as one would.
            Policy.objects.filter(pk=policy.pk).update(public=False)
            search.index_policies([policy.pk])
        policy.refresh_from_db()
        return policy
