"""Small real files of each kind an attachment may be, and of kinds it may not, built here.

Nothing is a stand-in: the Office files open in Office (XlsxWriter writes the
workbook; the OLE compound file is laid out as [MS-CFB] version 3 prescribes,
and ``olefile`` reads it back).
"""

import io
import struct
import zipfile
import zlib

import xlsxwriter

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x03\x00\x3e\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def png():
    """A 1×1 white PNG."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def xlsx():
    """A real workbook with one sheet, as XlsxWriter writes it."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet("清单").write(0, 0, "用电增容")
    workbook.close()
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{main}"/>'
    "</Types>"
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{part}"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>用电增容申请</w:t></w:r></w:p></w:body></w:document>"
)


def package(part, main, body, extra=()):
    """An Office Open XML package: content types, package relationships, the main part, ``extra``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("[Content_Types].xml", CONTENT_TYPES.format(part=part, main=main))
        zipped.writestr("_rels/.rels", PACKAGE_RELS.format(part=part))
        zipped.writestr(part, body)
        for name, data in extra:
            zipped.writestr(name, data)
    return buffer.getvalue()


def docx(extra=(), main=DOCX_MAIN):
    """A one-paragraph Word document (Word opens it)."""
    return package("word/document.xml", main, DOCUMENT, extra)


def pptx(extra=()):
    """The main part of a presentation: enough to be judged, not a deck Office would open."""
    return package("ppt/presentation.xml", PPTX_MAIN, "<p:presentation/>", extra)


def zipped(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


# --- OLE compound files ([MS-CFB], version 3: 512-byte sectors) ------------------------

SECTOR = 512
FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name, kind, *, child=NONE, right=NONE, start=END, size=0):
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NONE, right, child)
        + b"\x00" * 16  # CLSID
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def ole(streams=(), storages=()):
    """A compound file holding ``streams`` (name → bytes) and ``storages`` at its root.

    ``storages`` is a list of names (empty storages) or a dict of name → its
    own tree (name → bytes for a stream, a dict for a storage), so that a file
    can hide a stream deep inside, as Word's ``ObjectPool/<id>/`` does. Each
    stream is padded to 4,096 bytes so that it lives in ordinary sectors (no
    mini stream needed); siblings hang off each other's right link.
    """
    tree = dict(streams)
    tree.update(storages if isinstance(storages, dict) else {name: {} for name in storages})
    nodes = [["Root Entry", 5, b"", NONE, NONE]]  # name, kind, data, child, right

    def place(children):
        """Append ``children`` as siblings (then their own children); the first's index."""
        first = len(nodes)
        items = list(children.items())
        for position, (name, value) in enumerate(items):
            right = first + position + 1 if position + 1 < len(items) else NONE
            if isinstance(value, dict):
                nodes.append([name, 1, b"", NONE, right])
            else:
                nodes.append([name, 2, value.ljust(4096, b"\x00"), NONE, right])
        for position, (_name, value) in enumerate(items):
            if isinstance(value, dict) and value:
                nodes[first + position][3] = place(value)
        return first

    if tree:
        nodes[0][3] = place(tree)
    data_sectors = sum(len(data) // SECTOR for _name, _kind, data, _child, _right in nodes)
    directory_entries = len(nodes)
    directory_sectors = -(-directory_entries // 4)
    total = 1 + directory_sectors + data_sectors
    assert total <= SECTOR // 4, "one FAT sector is enough for these files"

    fat = [FAT_SECTOR] + [FREE] * (SECTOR // 4 - 1)
    first_directory = 1
    for index in range(directory_sectors):
        sector = first_directory + index
        fat[sector] = sector + 1 if index < directory_sectors - 1 else END
    entries, body, next_sector = [], b"", first_directory + directory_sectors
    for name, kind, data, child, right in nodes:
        if kind == 2:
            count = len(data) // SECTOR
            for index in range(count):
                fat[next_sector + index] = next_sector + index + 1 if index < count - 1 else END
            entries.append(_entry(name, 2, right=right, start=next_sector, size=len(data)))
            body += data
            next_sector += count
        else:
            start = END if kind == 5 else 0
            entries.append(_entry(name, kind, child=child, right=right, start=start))
    directory = b"".join(entries).ljust(directory_sectors * SECTOR, b"\x00")
    # unused directory slots: empty entries with no siblings or child
    slots = directory_sectors * 4 - directory_entries
    if slots:
        directory = directory[: directory_entries * 128] + _entry("", 0) * slots

    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIII", 0, 1, first_directory, 0)
        + struct.pack("<IIIII", 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    assert len(header) == SECTOR
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + directory + body


def doc():
    return ole({"WordDocument": b"\xec\xa5" + b"\x00" * 100, "1Table": b"\x00" * 16})


def xls():
    return ole({"Workbook": b"\x09\x08" + b"\x00" * 100})


def ppt():
    return ole({"PowerPoint Document": b"\x00" * 100, "Current User": b"\x00" * 16})


def msi():
    """An installer: an OLE compound file with no document stream."""
    return ole({"\u4840\u3b3f\u43f2\u4438\u4831": b"\x00" * 64, "SummaryInformation": b"\x00" * 16})


# the OLE signature and nothing a directory can be read from
OLE_MAGIC_ONLY = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
