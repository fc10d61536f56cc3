"""What an attachment may be: its content one of the allowed kinds, its name's extension one of that kind's.

An enterprise's documents arrive as PDF, images, Office files or plain text.
A file is accepted only when both agree: the extension is one we accept, and
the content really is of the kind that extension names. The content alone is
not enough (an OLE "document" may be an installer, a zip with an Office
marker may carry an executable), and the name alone never is (an executable
renamed ``.pdf``). Office packages are opened and every entry looked at; a
package with macros is refused, because the office and the units open these
files on their own desktops.
"""

import codecs
import io
import re
import zipfile

import olefile
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHUNK = 64 * 1024
NAME_MAX = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# leading bytes → (kind, content type); the kind is what an extension must name
SIGNATURES = [
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "image/jpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
]
# extension → the kind of content it must hold
EXTENSIONS = {
    "pdf": "pdf",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "gif": "gif",
    "docx": "ooxml",
    "xlsx": "ooxml",
    "pptx": "ooxml",
    "doc": "ole",
    "xls": "ole",
    "ppt": "ole",
    "txt": "text",
    "csv": "text",
}

# An Office Open XML package: its main part, its own folder, its content type.
OOXML = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
}
# Top-level folders a package may have besides its own (``word/`` …): the
# package relationships, document properties, custom XML and signatures.
OOXML_SHARED_FOLDERS = {"_rels", "docProps", "customXml", "_xmlsignatures"}
# Extensions of the parts Office writes: XML, relationships, pictures, fonts,
# printer settings and embedded objects (``.bin``), embedded packages.
OOXML_PART_EXTENSIONS = {
    "xml",
    "rels",
    "vml",
    "png",
    "jpeg",
    "jpg",
    "gif",
    "bmp",
    "tif",
    "tiff",
    "emf",
    "wmf",
    "wdp",
    "svg",
    "odttf",
    "fntdata",
    "bin",
    "sigs",
    "docx",
    "xlsx",
    "pptx",
}
# Parts that are macros (VBA) or ActiveX controls: code that runs when opened.
MACRO_PARTS = re.compile(
    r"(^|/)(vbaProject\.bin|vbaProjectSignature\.bin|vbaData\.xml)$|(^|/)activeX/", re.I
)
OOXML_MAX_ENTRIES = 10_000
CONTENT_TYPES_MAX = 1024 * 1024
# leading bytes of programs, refused inside a package whatever the entry's name
PROGRAM_MAGICS = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"#!")

# A legacy OLE file does not say what it holds; the stream its kind needs does.
OLE = {
    "doc": (("WordDocument",), "application/msword"),
    "xls": (("Workbook", "Book"), "application/vnd.ms-excel"),
    "ppt": (("PowerPoint Document",), "application/vnd.ms-powerpoint"),
}
# storages that hold VBA macros in Word and Excel files
OLE_MACROS = ("Macros", "_VBA_PROJECT_CUR")
# the stream of an embedded "package" object, which wraps an arbitrary file
OLE_PACKAGE_STREAM = "\x01Ole10Native"
# an embedded object larger than this is not read into memory to be checked
EMBEDDED_MAX = 50 * 1024 * 1024

TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
# control characters that never occur in text (tab, newlines and form feed do)
BINARY_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _error(message):
    return ValidationError({"file": [message]})


def _allowed():
    return _(
        "只能上传 PDF、图片（PNG、JPEG、GIF）、Office 文档（doc、docx、xls、xlsx、ppt、pptx）"
        "或纯文本（txt、csv）。"
    )


def extension(name):
    """The lower-case extension of the file's own name, without the dot ('' when it has none)."""
    _stem, dot, ext = display_name(name).rpartition(".")
    return ext.lower() if dot else ""


def inspect(upload):
    """The content type of an acceptable upload; ``ValidationError`` on ``file`` otherwise."""
    limit = settings.QITONG_MAX_UPLOAD
    if upload.size > limit:
        raise _error(_("附件不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
    if upload.size == 0:
        raise _error(_("附件是空文件。"))
    ext = extension(upload.name)
    if not ext:
        raise _error(_("文件名没有扩展名：") + _allowed())
    if ext not in EXTENSIONS:
        raise _error(_("文件扩展名 .%(ext)s 不允许：") % {"ext": ext} + _allowed())
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    try:
        content_type = _judge(upload, head, ext)
    finally:
        upload.seek(0)
    if content_type is None:
        raise _error(_("文件内容与扩展名 .%(ext)s 不符。") % {"ext": ext})
    return content_type


def _judge(upload, head, ext):
    """The content type when the content is what ``ext`` names; None when it is not."""
    kind = EXTENSIONS[ext]
    for magic, found, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type if found == kind else None
    if head.startswith(ZIP_MAGIC):
        return _office_package(upload, ext) if kind == "ooxml" else None
    if head.startswith(OLE_MAGIC):
        return _ole_document(upload, ext) if kind == "ole" else None
    if kind == "text":
        encoding = _text_encoding(upload)
        if encoding:
            return f"{TEXT_TYPES[ext]}; charset={encoding}"
    return None


def _office_package(upload, ext):
    """An Office Open XML package of the kind ``ext`` names, holding only its parts."""
    main_part, content_type = OOXML[ext]
    try:
        with zipfile.ZipFile(upload) as package:
            entries = package.infolist()
            if len(entries) > OOXML_MAX_ENTRIES:
                raise _error(_("Office 文档中的条目过多，无法检查。"))
            names = {entry.filename for entry in entries}
            for needed in ("[Content_Types].xml", main_part):
                if needed not in names:
                    raise _error(
                        _("文件内容与扩展名 .%(ext)s 不符：缺少 %(part)s。")
                        % {"ext": ext, "part": needed}
                    )
            content_types = _read(package, "[Content_Types].xml", CONTENT_TYPES_MAX)
            if b"macroenabled" in content_types.lower() or b"vbaproject" in content_types.lower():
                raise _macros(ext)
            folder = main_part.split("/", 1)[0]
            for entry in entries:
                _check_part(package, entry, folder, ext)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError):
        raise _error(_("文件已损坏：无法作为 .%(ext)s 文档读取。") % {"ext": ext}) from None
    return content_type


def _check_part(package, entry, folder, ext):
    name = entry.filename
    if entry.is_dir() or name == "[Content_Types].xml":
        return
    if MACRO_PARTS.search(name):
        raise _macros(ext)
    top, _sep, _rest = name.partition("/")
    _stem, dot, part_ext = name.rpartition(".")
    stray = (
        top not in OOXML_SHARED_FOLDERS | {folder}
        or not dot
        or part_ext.lower() not in OOXML_PART_EXTENSIONS
        or "\\" in name
        or ".." in name.split("/")
    )
    head = b"" if stray else _read(package, name, len(OLE_MAGIC))
    if stray or head.startswith(PROGRAM_MAGICS):
        raise _error(
            _("Office 文档中含有不属于文档的文件：%(name)s。") % {"name": display_name(name)}
        )
    if head.startswith(OLE_MAGIC):
        _check_embedded(package, entry, ext)


def _check_embedded(package, entry, ext):
    """An object embedded in a package (an OLE file): refused when it wraps a file or holds macros.

    A "package" object (its ``Ole10Native`` stream) carries any file at all,
    typically a program shown as an icon for the reader to double-click.
    """
    name = display_name(entry.filename)
    with package.open(entry) as member:
        data = member.read(EMBEDDED_MAX + 1)
    if len(data) > EMBEDDED_MAX:
        raise _error(_("Office 文档中嵌入的对象过大，无法检查：%(name)s。") % {"name": name})
    _open_ole(io.BytesIO(data), ext, name)


def _read(package, name, at_most):
    with package.open(name) as member:
        return member.read(at_most)


def _macros(ext):
    return _error(
        _("不接受含宏的 Office 文档（.%(ext)s）：请另存为不含宏的格式后再上传。") % {"ext": ext}
    )


def _ole_document(upload, ext):
    """A legacy Office file (OLE) whose directory holds the stream of the kind ``ext`` names."""
    streams, content_type = OLE[ext]
    paths = _open_ole(upload, ext)
    if not any((stream.lower(),) in paths for stream in streams):
        raise _error(
            _("文件内容与扩展名 .%(ext)s 不符：缺少 %(stream)s 数据流。")
            % {"ext": ext, "stream": streams[0]}
        )
    return content_type


def _open_ole(source, ext, name=None):
    """The paths in an OLE file (tuples of names), refused when any holds macros or a package.

    The whole tree is looked at, not only its root: a Word file keeps its
    embedded objects in ``ObjectPool/<id>/``, an Excel file in ``MBD…``
    storages, and an object there (a workbook with macros, a "package"
    wrapping a program) runs as readily as one at the top. ``name`` is the
    package entry the OLE file came from, when it was embedded in one.
    """
    try:
        with olefile.OleFileIO(source) as ole:
            found = ole.listdir(streams=True, storages=True)
    except (OSError, ValueError, IndexError, KeyError, TypeError, RecursionError):
        # olefile raises these on a damaged directory or sector chain (its
        # directory tree is walked recursively, hence RecursionError)
        raise _error(_("文件已损坏：无法作为 .%(ext)s 文档读取。") % {"ext": ext}) from None
    # olefile's own lookups ignore case, and so does Office
    paths = {tuple(part.lower() for part in path): path for path in found}
    for lowered, path in sorted(paths.items()):
        if lowered[-1] == OLE_PACKAGE_STREAM.lower():
            shown = name or "/".join(path[:-1]) or display_name(path[-1])
            raise _error(
                _("Office 文档中嵌入了文件包（%(name)s），其中可能是程序：请把文件直接上传。")
                % {"name": shown}
            )
    macros = {storage.lower() for storage in OLE_MACROS}
    if any(macros.intersection(lowered) for lowered in paths):
        raise _macros(ext)
    return set(paths)


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
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    stem, dot, ext = base.rpartition(".")
    if len(base) <= NAME_MAX:
        return base
    if not dot or len(ext) > 16:
        return base[:NAME_MAX]
    return stem[: NAME_MAX - len(ext) - 1] + "." + ext


MOST_PHOTOS = 9  # photos of one project report or one visit


def images(given, *, most=MOST_PHOTOS, field="photos"):
    """``[(upload, name, content_type)]`` of photos, each judged by its content (``inspect``):
    images only, at most ``most``; ``ValidationError`` on ``field`` naming the file otherwise."""
    if len(given) > most:
        raise ValidationError({field: [_("一次最多上传 %(count)d 张照片。") % {"count": most}]})
    checked = []
    for upload in given:
        name = display_name(upload.name)
        try:
            content_type = inspect(upload)
        except ValidationError as exc:
            reason = "".join(exc.messages)
            raise ValidationError(
                {field: [_("%(name)s：%(reason)s") % {"name": name, "reason": reason}]}
            ) from None
        if not content_type.startswith("image/"):
            raise ValidationError(
                {field: [_("%(name)s：只能上传图片（PNG、JPEG、GIF）。") % {"name": name}]}
            )
        checked.append((upload, name, content_type))
    return checked


def store(rows):
    """Save each ``(row, upload)``: the upload as the row's ``file`` under its ``name``, then the
    row. On a failure the files already stored are removed again and the error goes on, so a
    caller's rolled-back transaction leaves no file behind."""
    stored = []
    try:
        for row, upload in rows:
            row.file.save(row.name, upload, save=False)
            stored.append(row)
            row.save()
    except Exception:
        for row in stored:
            row.file.delete(save=False)
        raise
