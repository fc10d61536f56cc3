"""What an attachment may be, judged by its content and never by its name.

An enterprise's documents arrive as PDF, images, Office files or plain text;
anything else (an executable renamed ``.pdf``, an arbitrary zip) is refused
before it is stored.
"""

import codecs
import os
import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHUNK = 64 * 1024
NAME_MAX = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# leading bytes → content type
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
# the part an OOXML package names first → its content type
OOXML_PARTS = [
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
]
# a legacy OLE file does not say what it holds; its name's extension may
OLE_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
# control characters that never occur in text (tab, newlines and form feed do)
BINARY_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _error(message):
    return ValidationError({"file": [message]})


def inspect(upload):
    """The content type of an acceptable upload; ``ValidationError`` on ``file`` otherwise."""
    limit = settings.QITONG_MAX_UPLOAD
    if upload.size > limit:
        raise _error(_("附件不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
    if upload.size == 0:
        raise _error(_("附件是空文件。"))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    try:
        for magic, content_type in SIGNATURES:
            if head.startswith(magic):
                return content_type
        if head.startswith(OLE_MAGIC):
            return OLE_TYPES.get(
                os.path.splitext(upload.name or "")[1].lower(), "application/x-ole-storage"
            )
        if head.startswith(ZIP_MAGIC):
            return _office_package(upload)
        encoding = _text_encoding(upload)
        if encoding:
            return f"text/plain; charset={encoding}"
    finally:
        upload.seek(0)
    raise _error(_("不支持的文件类型：只能上传 PDF、图片（PNG、JPEG、GIF）、Office 文档或纯文本。"))


def _office_package(upload):
    try:
        with zipfile.ZipFile(upload) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _error(_("压缩文件已损坏，无法识别。")) from None
    if "[Content_Types].xml" not in names:
        raise _error(
            _("不支持压缩文件：只能上传 Office 文档（docx、xlsx、pptx），不能上传其他压缩包。")
        )
    for prefix, content_type in OOXML_PARTS:
        if any(name.startswith(prefix) for name in names):
            return content_type
    return "application/octet-stream"


def _text_encoding(upload):
    """``utf-8`` or ``gbk`` when the whole file is text in that encoding, else None."""
    for encoding in ("utf-8", "gbk"):
        upload.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := upload.read(CHUNK):
                if not _printable(decoder.decode(chunk)):
                    break
            else:
                if _printable(decoder.decode(b"", final=True)):
                    return encoding
        except UnicodeDecodeError:
            continue
    return None


def _printable(text):
    return BINARY_CHARS.search(text) is None


def display_name(name):
    """The uploaded file's own name, without any folder, cut to fit its column."""
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "attachment"
    stem, ext = os.path.splitext(base)
    return base if len(base) <= NAME_MAX else stem[: NAME_MAX - len(ext)] + ext
