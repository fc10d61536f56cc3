"""An appeal's words as the models read them: Chinese segmented inside, noise left out.

``words(text)`` segments original Chinese text with jieba (its dictionary is
loaded once per process, on first use) and keeps the tokens holding a Chinese
character: digits, Latin letters (the anonymised place names' A, A1…), masked
phone numbers, addresses and punctuation carry nothing about a case's
department. A text that comes already segmented (tokens between spaces, as
the public data's ``分词文本``) is split on its spaces instead, so the two
kinds of rows give the same features.

``row_text(row, column)`` reads a CSV row's text: ``column`` may join several
columns with ``+`` (``留言主题+留言详情``); a row whose column is empty falls back
to ``留言主题`` + ``留言详情``, then to ``分词文本``.
"""

import logging
import re
import threading

import jieba

CJK = re.compile(r"[\u4e00-\u9fff]")
URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+", re.IGNORECASE)
# Pre-segmented text: mostly single spaces between short runs of Chinese.
SEGMENTED = re.compile(r"^(?:\S{1,12} ){3,}")
FALLBACKS = ("留言主题+留言详情", "分词文本")

_ready = False
_ready_lock = threading.Lock()


def _segmenter():
    """jieba, its dictionary loaded (a second, once per process, on first use)."""
    global _ready
    with _ready_lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True
    return jieba


def is_segmented(text):
    return bool(SEGMENTED.match(text)) and text.count(" ") * 6 >= len(text) // 2


def words(text):
    """The Chinese tokens of ``text``, in order."""
    text = URL.sub(" ", text or "")
    tokens = text.split() if is_segmented(text) else _segmenter().lcut(text)
    return [token for token in tokens if CJK.search(token)]


def joined(tokens):
    """The tokens run together: what the character n-grams read (no spaces across words)."""
    return "".join(tokens)


def column_text(row, column):
    return "".join((row.get(name) or "").strip() for name in column.split("+"))


def row_text(row, column):
    """``column`` of a CSV row (``A+B`` joins), else the fallbacks, else ""."""
    for name in (column, *FALLBACKS):
        text = column_text(row, name)
        if text:
            return text
    return ""
