"""What a page says: its text decoded right, the links of a list, and a policy's fields.

Chinese government sites serve UTF-8 and GBK/GB2312/GB18030, declared in the
HTTP header, in a meta tag, wrongly, or not at all. A declaration is believed
only if the bytes decode under it; otherwise UTF-8 is tried strictly and
GB18030 (a superset of GBK and GB2312) is what is left.

A disclosure page (政府信息公开) carries a metadata block — a table, a list of
``<li>`` or a few lines of "标签：值" — whose labels vary by site (发文机关,
发布机构, 发文机构…). The page's text is read as lines, each known label found
with its value running to the next label; trafilatura gives the article body.
"""

import codecs
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import feedparser
import trafilatura
from django.utils.translation import gettext as _
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from qitong.policies.addresses import absolute

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312", "gb_2312-80"}
# Declarations that fit any bytes, so they say nothing: servers send them by default.
_MEANINGLESS = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "ascii", "us-ascii"}

ATTACHMENT_TYPES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et", ".ofd", ".zip", ".rar")


def _codec(name):
    if not name:
        return None
    name = name.strip().lower()
    if name in _GB:
        return "gb18030"
    if name in _MEANINGLESS:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _fits(raw, codec):
    """Whether ``raw`` decodes under ``codec``, allowing one character cut at the end (a size cap)."""
    try:
        raw.decode(codec)
    except UnicodeDecodeError as exc:
        return exc.start >= len(raw) - 3
    return True


def decode(raw, *, header_charset=None, forced="auto"):
    """The text of ``raw``: forced by the source, else declared and true, else sniffed."""
    if forced == "utf-8":
        return raw.decode("utf-8", "replace")
    if forced == "gbk":
        return raw.decode("gb18030", "replace")
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", "replace")
    meta = _META_CHARSET.search(raw[:4096])
    for declared in (header_charset, meta and meta.group(1).decode("ascii", "ignore")):
        codec = _codec(declared)
        if codec and _fits(raw, codec):
            return raw.decode(codec, "replace")
    if _fits(raw, "utf-8"):
        return raw.decode("utf-8", "replace")
    return raw.decode("gb18030", "replace")


# --- lists ---------------------------------------------------------------------------------


@dataclass
class Item:
    """One entry of a list: the detail page's address and what the list says of it."""

    url: str
    listed_as: str


@dataclass
class Listing:
    items: list
    next_url: str | None = None


# Elements nested deeper than this make a page hostile: the HTML parser's time grows with the
# square of the depth (20,000 levels, one second; 100,000, forty), in a thread nothing can stop.
# Real pages nest a few dozen levels.
MAX_NESTING = 2000
# Tags that never nest (void) or that the parser closes by itself when the next one opens.
_FLAT_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
    "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "html", "head", "body",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")


def _parse_html(html):
    """``html`` parsed; ``ValueError`` when its elements nest past ``MAX_NESTING``.

    The depth is counted on the text before parsing (openings less closings,
    void and self-closing tags left out), a linear scan; a page whose tags are
    left open counts deeper than it is, which only the hostile reach.
    """
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name in _FLAT_TAGS or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > MAX_NESTING:
            raise ValueError(
                _("页面元素嵌套超过 %(depth)d 层，不予解析。") % {"depth": MAX_NESTING}
            )
    return HTMLParser(html)


def parse_list(text, *, base_url, source):
    """The entries of one list page (and the next page's address), per the source's kind."""
    if source.kind == "rss":
        return _parse_feed(text, base_url)
    if source.kind == "json":
        return _parse_json(text, base_url, source)
    tree = _parse_html(text)
    items, seen = [], set()
    for node in tree.css(source.link_selector):
        link = node if node.tag == "a" else node.css_first("a[href]")
        if link is None:
            continue
        url = absolute(base_url, link.attributes.get("href"))
        if url and url not in seen:
            seen.add(url)
            title = link.attributes.get("title") or link.text(strip=True)
            items.append(Item(url, " ".join(title.split())[:500]))
    next_url = None
    if source.next_selector:
        node = tree.css_first(source.next_selector)
        if node is not None:
            link = node if node.tag == "a" else node.css_first("a[href]")
            if link is not None:
                next_url = absolute(base_url, link.attributes.get("href"))
    return Listing(items, next_url)


def _parse_feed(text, base_url):
    feed = feedparser.parse(text)
    items = []
    for entry in feed.entries:
        url = absolute(base_url, entry.get("link"))
        if url:
            # Atom's "updated", RSS's pubDate ("published"); read raw, without feedparser's
            # deprecated mapping of one to the other.
            stamp = dict.get(entry, "updated") or dict.get(entry, "published") or ""
            items.append(Item(url, f"{entry.get('title', '')} {stamp}".strip()[:500]))
    return Listing(items)


def _walk(value, path):
    for step in [part for part in (path or "").split(".") if part]:
        if isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def _parse_json(text, base_url, source):
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # a list nested past the decoder's depth
        raise ValueError(_("JSON 无法解析：%(error)s") % {"error": exc}) from None
    entries = _walk(data, source.json_items_path)
    if not isinstance(entries, list):
        raise ValueError(
            _("JSON 中 %(path)s 处不是列表") % {"path": source.json_items_path or _("（根）")}
        )
    items = []
    for entry in entries:
        link = _walk(entry, source.json_link_path or "url")
        url = absolute(base_url, link) if isinstance(link, str) else None
        if url:
            title = _walk(entry, source.json_title_path or "title")
            items.append(Item(url, str(title or "")[:500]))
    return Listing(items)


# --- detail pages --------------------------------------------------------------------------

# Each field's labels, most specific first; a label's value runs to the next label of any field.
FIELDS = {
    "index_number": ["索引号"],
    "subject": ["主题分类", "组配分类"],
    "issuer": ["发文机关", "发文机构", "发文单位", "发布机构", "发布单位", "成文机关"],
    "number": ["发文字号", "文号", "发文号"],
    "written": ["成文日期", "发文日期", "印发日期"],
    "published": ["发布日期", "发表日期", "公开日期", "发布时间"],
    "name": ["名称", "文件名称", "标题"],
    "origin": ["来源", "信息来源"],
}
# Labels that only end the value before them.
STOPS = [
    "公开方式", "时效", "有效性", "生效时间", "废止时间", "生效日期", "废止日期", "信息分类",
    "关键词", "主题词", "内容概述", "生成日期", "作者", "浏览次数", "该信息已被浏览", "点击数",
    "访问量", "浏览量", "字号", "公开范围", "体裁分类", "服务对象",
]  # fmt: skip
_ALL_LABELS = sorted(
    {label for labels in FIELDS.values() for label in labels} | set(STOPS), key=len
)
_LABEL = re.compile(
    r"(?:^|(?<=[\s|｜]))("
    + "|".join(map(re.escape, reversed(_ALL_LABELS)))
    + r")[ \t\u3000]*(?:[:：]|$)",
    re.M,
)
_DATE = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})")
_SIGNED = re.compile(r"^\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*$", re.M)
_NUMBER = re.compile(
    r"[\u4e00-\u9fa5A-Za-z]{1,15}\s*[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】]\s*第?\s*\d{1,5}\s*号"
)
_BULLETS = " \t\u3000•·●▪◆|｜"
_NOTHING = {"无", "-", "—", "暂无", "空", "/"}


@dataclass
class Document:
    """A policy as one page gives it."""

    title: str = ""
    body: str = ""
    issuer: str = ""
    number: str = ""
    index_number: str = ""
    subject: str = ""
    written: dt.date | None = None
    published: dt.date | None = None
    attachments: list = field(default_factory=list)  # [(url, name)]


def parse_date(value):
    match = _DATE.search(value or "")
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


def metadata(text):
    """The labelled values of a page's text: {label: value}, the first occurrence of each.

    A value stands after its label on the same line, or — when the label has
    its line to itself, as a table cell or a list item does — on the next
    line, up to the next label.
    """
    found = {}
    matches = list(_LABEL.finditer(text))
    for here, after in zip(matches, [*matches[1:], None], strict=False):
        label = here.group(1)
        if label in found:
            continue
        end = after.start() if after else len(text)
        line_start = text.rfind("\n", 0, here.start()) + 1
        alone = not text[line_start : here.start()].strip(_BULLETS)
        lines = [line.strip(_BULLETS) for line in text[here.end() : end].split("\n")]
        value = lines[0] if lines else ""
        if not value and alone:
            value = next((line for line in lines if line), "")
        value = " ".join(value.split())[:200]
        found[label] = "" if value in _NOTHING else value
    return found


def _first(found, field_name):
    for label in FIELDS[field_name]:
        if found.get(label):
            return found[label]
    return ""


def _meta(tree, name):
    node = tree.css_first(f'meta[name="{name}"]') or tree.css_first(f'meta[property="{name}"]')
    return (node.attributes.get("content") or "").strip() if node else ""


def attachment_links(tree, base_url):
    """The files a page links to that are attachments: [(url, name)], each once."""
    found, seen = [], set()
    for link in tree.css("a[href]"):
        url = absolute(base_url, link.attributes.get("href"))
        if not url or url in seen:
            continue
        name = " ".join(link.text(strip=True).split())
        path = unquote(urlsplit(url).path).lower()
        if path.endswith(ATTACHMENT_TYPES) or name.lower().endswith(ATTACHMENT_TYPES):
            seen.add(url)
            found.append((url, name or path.rsplit("/", 1)[-1]))
    return found


_FIELD_LABELS = {label for labels in FIELDS.values() for label in labels}


def _drop_metadata_blocks(tree):
    """Take the metadata block out before the body is read: it is not the policy's text, and
    its index numbers and dates differ between the sites that republish one document."""
    for selector in ("table, ul, dl", "div, p"):
        for node in tree.css(selector):
            if node.parent is None:
                continue
            text = node.text(separator="\n")
            if len(text) > 1000:
                continue
            labels = {m.group(1) for m in _LABEL.finditer(text)} & _FIELD_LABELS
            if len(labels) >= 3:
                node.decompose()


def parse_detail(html, *, base_url):
    """The policy's fields from a detail page's decoded HTML; ``ValueError`` for a hostile one."""
    tree = _parse_html(html)
    attachments = attachment_links(tree, base_url)
    for tag in ("script", "style", "noscript"):
        for node in tree.css(tag):
            node.decompose()
    root = tree.body or tree.root
    text = root.text(separator="\n", strip=True) if root is not None else ""
    found = metadata(text)
    _drop_metadata_blocks(tree)
    body = trafilatura.extract(
        tree.html or html,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
        deduplicate=False,
    )
    body = (body or text).strip()

    heading = tree.css_first("h1")
    page_title = tree.css_first("title")
    title = (
        _meta(tree, "ArticleTitle")
        or _first(found, "name")
        or (heading.text(strip=True) if heading else "")
        or _meta(tree, "og:title")
        or (re.split(r"\s*[_|｜–-]\s*", page_title.text(strip=True))[0] if page_title else "")
    )
    number = _first(found, "number")
    if not number:
        match = _NUMBER.search(body[:800])
        number = match.group(0) if match else ""
    written = parse_date(_first(found, "written"))
    if written is None:
        signed = _SIGNED.search(body[:3000])
        written = parse_date(signed.group(0)) if signed else None
    # "来源：某某局 2021-03-02 14:44": the office, without the date some sites put after it.
    origin = _DATE.split(_first(found, "origin"))[0].strip()
    return Document(
        title=" ".join(title.split())[:500],
        body=body,
        issuer=(_first(found, "issuer") or _meta(tree, "ContentSource") or origin)[:200],
        number=" ".join(number.split()).replace(" ", "")[:100],
        index_number=_first(found, "index_number")[:100],
        subject=_first(found, "subject")[:100],
        written=written,
        published=(
            parse_date(_first(found, "published"))
            or parse_date(_meta(tree, "PubDate"))
            or parse_date(_first(found, "origin"))
        ),
        attachments=attachments,
    )
