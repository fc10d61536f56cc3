"""Importing enterprise lists as offices keep them: messy workbooks, GBK CSV, files that lie."""

import io
import zipfile

import openpyxl
import pytest
import xlsxwriter

from qitong.enterprises import actions, imports
from qitong.enterprises.imports import RegionIndex, UnreadableFile, import_enterprises
from qitong.enterprises.models import Contact, Enterprise, EnterpriseChange, Qualification
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region

pytestmark = pytest.mark.django_db

# Codes whose registration division (characters 3-8) is 济南市 itself (370100), so a
# county can only come from the address or the region column.
QUANCHENG = make_uscc("91370100MA3C10001")
BAOTUQUAN = make_uscc("91370100MA3C10002")
DAMINGHU = make_uscc("91370100MA3C10003")
NAMELESS = make_uscc("91370100MA3C10005")
QIANFOSHAN = make_uscc("91370100MA3C10006")
HEIHUQUAN = make_uscc("91370100MA3C10007")
ZHANGQIU = make_uscc("91370181MA3C10008")  # 章丘市, abolished: 章丘区 took it over
JINGQI = make_uscc("91370100MA3C10009")
HUAIYIN_1 = make_uscc("91370100MA3C10010")
HUAIYIN_2 = make_uscc("91370100MA3C10011")


@pytest.fixture
def qualifications(db):
    return {
        "gaoxin": Qualification.objects.create(code="gaoxin", name="高新技术企业"),
        "zjtx": Qualification.objects.create(code="zjtx", name="专精特新"),
    }


def messy_workbook():
    """A list as an office keeps it: a merged title row, a two-row header with merged
    cells, extra columns, numbers where text was meant, a merged region down two rows,
    a blank row, and every kind of bad row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet["A1"] = "2025年济南市重点企业名单（第一批）"
    sheet.merge_cells("A1:L1")
    headers = {
        "A": "序号",
        "B": "*企业名称",
        "C": "统一社会信用代码（18位）",
        "D": "所属区划",
        "E": "行业代码",
        "F": "企业规模",
        "G": "重点企业",
        "H": "资质",
        "I": "注册地址",
        "L": "备注",
    }
    for column, text in headers.items():
        sheet[f"{column}2"] = text
        sheet.merge_cells(f"{column}2:{column}3")
    sheet["J2"] = "联系方式"
    sheet.merge_cells("J2:K2")
    sheet["J3"] = "联系人"
    sheet["K3"] = "联系电话"
    bad_check = BAOTUQUAN[:17] + ("X" if BAOTUQUAN[17] != "X" else "Y")
    rows = [
        # row 4: new; its county from the address (the code only says 济南市)
        [1, "济南泉城电子有限公司", QUANCHENG, None, "C3989", "小型", "是",
         "高新技术企业、专精特新", "山东省济南市历下区经十路1号", "张三", "13800000001", "重点"],
        # row 5: a wrong check character
        [2, "济南趵突泉机械有限公司", bad_check, None, "C3311", None, None, None, None, None, None, None],
        # row 6: a region code given but unknown
        [3, "济南大明湖食品有限公司", DAMINGHU, "999999", None, None, None, None, None, None, None, None],
        # row 7: the code of row 4 again
        [4, "济南泉城电子有限公司（重复）", QUANCHENG, None, None, None, None, None, None, None, None, None],
        # row 8: no name
        [5, None, NAMELESS, None, "C3989", None, None, None, None, None, None, "名称待补"],
        # row 9: blank (skipped, not reported)
        [None] * 12,
        # row 10: numbers where text was meant (region, industry class, phone)
        [6, "山东千佛山科技有限公司", QIANFOSHAN, 370112, 6513, "中型", "否", None, None,
         "李四", 13900000002, None],
        # row 11: an unknown qualification and a contact without a phone
        [7, "济南黑虎泉饮品有限公司", HEIHUQUAN, None, None, None, None, "省级瞪羚企业", None,
         "王五", None, None],
        # row 12: nothing but a name and an abolished division's code
        [8, "济南章丘锻造有限公司", ZHANGQIU, None, None, None, None, None, None, None, None, None],
        # row 13: a name shared by eight counties, the code says which city
        [9, "济南经七路商贸有限公司", JINGQI, None, "F5191", "微型", None, None, "市中区经七路100号",
         None, None, None],
        # rows 14-15: one region cell merged down both rows
        [10, "济南槐荫物流有限公司", HUAIYIN_1, "370104", "G5438", None, None, None, None, None, None, None],
        [11, "济南西站酒店有限公司", HUAIYIN_2, None, "H6110", None, None, None, None, None, None, None],
    ]  # fmt: skip
    for offset, values in enumerate(rows):
        for index, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=4 + offset, column=index, value=value)
    sheet.merge_cells("D14:D15")
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream, bad_check


def test_a_messy_workbook_gives_the_exact_report(qualifications):
    stream, bad_check = messy_workbook()
    report = import_enterprises(stream, name="2025年名单.xlsx")
    expected_check = BAOTUQUAN[17]
    assert report.as_dict() == {
        "created": 6,
        "updated": 0,
        "rejected": [
            {
                "row": 5,
                "reason": f"统一社会信用代码校验位错误：第 18 位应为 {expected_check}，实际为 {bad_check[17]}。",
            },
            {"row": 6, "reason": "所属区划 999999 不是已知的行政区划。"},
            {"row": 7, "reason": "统一社会信用代码与第 4 行重复。"},
            {"row": 8, "reason": "企业名称为空。"},
            {
                "row": 11,
                "reason": "资质中的“省级瞪羚企业”不是已登记的资质。填写了联系人，但缺少联系电话。",
            },
        ],
    }
    stored = {
        e.uscc: (e.name, e.region.code, e.industry, e.size, e.tier, e.above_scale)
        for e in Enterprise.objects.select_related("region")
    }
    assert stored == {
        QUANCHENG: ("济南泉城电子有限公司", "370102", "C3989", "small", "key", False),
        QIANFOSHAN: ("山东千佛山科技有限公司", "370112", "I6513", "medium", "normal", False),
        ZHANGQIU: ("济南章丘锻造有限公司", "370114", "", "small", "normal", False),
        JINGQI: ("济南经七路商贸有限公司", "370103", "F5191", "micro", "normal", False),
        HUAIYIN_1: ("济南槐荫物流有限公司", "370104", "G5438", "small", "normal", False),
        HUAIYIN_2: ("济南西站酒店有限公司", "370104", "H6110", "small", "normal", False),
    }
    quancheng = Enterprise.objects.get(uscc=QUANCHENG)
    assert quancheng.address == "山东省济南市历下区经十路1号"
    assert set(quancheng.qualifications.values_list("code", flat=True)) == {"gaoxin", "zjtx"}
    contacts = Contact.objects.order_by("name").values_list("enterprise__uscc", "name", "phone")
    assert list(contacts.filter(is_primary=True)) == [
        (QUANCHENG, "张三", "13800000001"),
        (QIANFOSHAN, "李四", "13900000002"),
    ]


def test_importing_again_updates_by_code_and_adds_nothing(qualifications):
    stream, _bad = messy_workbook()
    import_enterprises(stream, name="名单.xlsx")
    stream.seek(0)
    again = import_enterprises(stream, name="名单.xlsx")
    assert (again.created, again.updated, [item["row"] for item in again.rejected]) == (
        0,
        6,
        [5, 6, 7, 8, 11],
    )
    assert Enterprise.objects.count() == 6
    assert Contact.objects.count() == 2
    assert Enterprise.qualifications.through.objects.count() == 2


def csv_bytes(lines, encoding):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_an_update_changes_what_the_row_gives_and_keeps_what_it_leaves_empty(enterprise):
    first = csv_bytes(
        [
            "单位名称,信用代码,行业代码,联系人,联系电话,电子邮箱",
            f"济南泉华电子股份有限公司,{enterprise.uscc.lower()},,赵六,0531-88880001,zhao@example.cn",
        ],
        "utf-8",
    )
    report = import_enterprises(io.BytesIO(first), name="更新.csv")
    assert report.as_dict() == {"created": 0, "updated": 1, "rejected": []}
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.industry, enterprise.region.code) == (
        "济南泉华电子股份有限公司",
        "C3989",  # the empty cell kept it
        "370102",
    )
    second = csv_bytes(
        [
            "企业名称,统一社会信用代码,联系人,联系电话",
            f"济南泉华电子股份有限公司,{enterprise.uscc},赵六,13800000009",
        ],
        "utf-8",
    )
    import_enterprises(io.BytesIO(second), name="更新.csv")
    # the same primary contact, its phone changed, its e-mail (no column) kept
    assert list(enterprise.contacts.values_list("name", "phone", "email", "is_primary")) == [
        ("赵六", "13800000009", "zhao@example.cn", True)
    ]


def test_a_gbk_csv_with_a_title_line_is_read(region):
    data = csv_bytes(
        [
            "历下区企业名单,,",
            "企业名称,统一社会信用代码,地址",
            f"济南解放阁文化传媒有限公司,{make_uscc('91370102MA3C20001')},济南市历下区解放路1号",
            f"济南芙蓉街餐饮有限公司,{make_uscc('91370102MA3C20002')},",
        ],
        "gbk",
    )
    report = import_enterprises(io.BytesIO(data), name="名单.csv")
    assert report.as_dict() == {"created": 2, "updated": 0, "rejected": []}
    assert set(Enterprise.objects.values_list("name", flat=True)) == {
        "济南解放阁文化传媒有限公司",
        "济南芙蓉街餐饮有限公司",
    }


def test_a_utf8_csv_with_a_bom_and_a_nul_in_a_cell(region):
    data = "\ufeff" + "\r\n".join(
        [
            "名称,社会信用代码",
            f"济南\x00某某有限公司,{make_uscc('91370102MA3C30001')}",
            f"济南趵突泉文旅有限公司,{make_uscc('91370102MA3C30002')}",
        ]
    )
    report = import_enterprises(io.BytesIO(data.encode()), name="名单.csv")
    assert report.as_dict() == {
        "created": 1,
        "updated": 0,
        "rejected": [{"row": 2, "reason": "名称含有空字符（NUL）。"}],
    }


def test_formula_cells_give_their_values(region):
    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["企业名称", "统一社会信用代码", "简称"])
    sheet.write_formula(1, 0, '=C2&"有限公司"', None, "济南明湖科技有限公司")
    sheet.write_string(1, 1, make_uscc("91370102MA3C40001"))
    sheet.write_string(1, 2, "济南明湖科技")
    book.close()
    stream.seek(0)
    report = import_enterprises(stream, name="公式.xlsx")
    assert report.created == 1
    assert Enterprise.objects.get().name == "济南明湖科技有限公司"


def test_a_killed_import_leaves_whole_batches_and_running_it_again_finishes(region, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 3)
    lines = ["企业名称,统一社会信用代码"] + [
        f"济南第{n}号企业有限公司,{make_uscc(f'91370102MA3C5{n:04d}')}" for n in range(1, 6)
    ]
    data = csv_bytes(lines, "utf-8")

    class Killed(Exception):
        pass

    def killed(done, total):
        raise Killed

    with pytest.raises(Killed):
        import_enterprises(io.BytesIO(data), name="名单.csv", progress=killed)
    assert Enterprise.objects.count() == 2  # the first batch, whole; the third row not
    report = import_enterprises(io.BytesIO(data), name="名单.csv")
    assert report.as_dict() == {"created": 3, "updated": 2, "rejected": []}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名单.xlsx", "企业名称,统一社会信用代码\n".encode(), "文件不是有效的 Excel 工作簿（.xlsx）：内容不是 zip 压缩包。"),
        ("名单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "文件是旧版 Excel（.xls）或已加密的工作簿：请在 Excel 中另存为未加密的 .xlsx 后再导入。"),
        ("名单.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "文件不是 CSV 文本文件：内容是二进制数据。"),
        ("名单.docx", b"whatever", "不支持的文件类型“.docx”：请上传 .xlsx 或 .csv 文件。"),
        ("名单.csv", "备注,说明\n无,无\n".encode(), "找不到表头：前 10 行中没有同时含有企业名称和统一社会信用代码两列的行。"),
    ],
)  # fmt: skip
def test_a_file_that_lies_about_its_type_is_unreadable(db, name, content, message):
    with pytest.raises(UnreadableFile) as caught:
        import_enterprises(io.BytesIO(content), name=name)
    assert str(caught.value) == message
    assert not Enterprise.objects.exists()


def test_a_zip_that_is_no_workbook_is_unreadable(db):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as package:
        package.writestr("hello.txt", "你好")
    stream.seek(0)
    with pytest.raises(UnreadableFile, match="无法打开"):
        import_enterprises(stream, name="名单.xlsx")


def test_a_zip_bomb_is_refused_unread(db):
    """A shared-strings table that would unpack past the cap (openpyxl holds it whole)."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("xl/sharedStrings.xml", "w") as member:
            block = b"0" * (1 << 20)
            for _ in range(imports.MAX_SHARED_STRINGS // len(block) + 1):
                member.write(block)
    assert stream.tell() < 1 << 20  # a small file, a huge member
    stream.seek(0)
    with pytest.raises(UnreadableFile) as caught:
        import_enterprises(stream, name="名单.xlsx")
    assert str(caught.value) == "文件解压后过大，可能是恶意文件：拒绝读取。"


def test_a_workbook_whose_first_sheet_has_no_list_is_read_from_the_next(region):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["A1"] = "填表说明：每行一家企业。"
    sheet = book.create_sheet("名单")
    sheet.append(["企业名称", "统一社会信用代码"])
    sheet.append(["济南千佛山医疗器械有限公司", make_uscc("91370102MA3C60001")])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    assert import_enterprises(stream, name="名单.xlsx").created == 1


def test_the_region_index_follows_successors_as_the_model_does(db):
    """``RegionIndex.current`` against the model's own ``Region.current`` for every code
    (the regions linked to each other in memory, so the model's walk makes no query)."""
    regions = {region.pk: region for region in Region.objects.all()}
    for region in regions.values():
        region.successor = regions.get(region.successor_id)
    index = RegionIndex()
    assert any(not region.is_active for region in regions.values())
    for region in regions.values():
        expected = region.current()
        assert index.current(region.code) == (expected.pk if expected else None), region.code
    assert index.current("999999") is None


@pytest.mark.parametrize(
    ("address", "uscc", "county"),
    [
        ("山东省济南市历下区经十路1号", "", "370102"),
        ("济南市市中区经七路", "", "370103"),
        ("市中区经七路", "91370100MA3C00001X", "370103"),  # the code's city breaks the tie
        ("市中区青檀路", "91370400MA3C00001X", "370402"),
        ("北京市朝阳区建国路", "", "110105"),
        ("吉林省长春市朝阳区", "", "220104"),
        ("章丘市明水街道", "", "370114"),  # an abolished name gives its heir
        ("济南市历城区工业北路", "", "370112"),  # 历城区, not 城区
        ("山东省烟台市招远市温泉路", "", "370685"),  # 烟台市, a county-level city once too
    ],
)
def test_an_address_names_its_county(db, address, uscc, county):
    index = RegionIndex()
    found, _coarser = index.from_address(address, uscc)
    assert index.codes[found] == county


def test_an_address_that_names_only_a_city_or_an_ambiguous_county_gives_no_county(db):
    index = RegionIndex()
    found, coarser = index.from_address("山东省济南市高新区舜华路", "")
    assert (found, index.codes[coarser]) == (None, "370100")
    assert index.from_address("市中区某路", "") == (None, None)


def test_the_sheet_reader_lets_go_of_the_rows_it_has_read(tmp_path):
    """Memory flat in the row count: ``<sheetData>`` does not keep every row read."""
    path = tmp_path / "长.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    for row in range(3 * imports._FastSheetParser.RELEASE_EVERY):
        sheet.write_row(row, 0, [f"企业{row}", row])
    book.close()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    with sheet._get_source() as source:
        parser = imports._FastSheetParser(source, sheet._shared_strings, data_only=True)
        rows = [cells[0]["value"] for _line, cells in parser.parse()]
    workbook.close()
    assert rows == [f"企业{row}" for row in range(3 * imports._FastSheetParser.RELEASE_EVERY)]
    assert parser.sheet_data is not None and parser.sheet_data is not False
    assert len(parser.sheet_data) <= imports._FastSheetParser.RELEASE_EVERY + 1


def test_an_update_writes_the_enterprise_history_in_the_snapshots_words(
    enterprise, qualifications, admin_user
):
    """What the import changed is what ``actions.snapshot`` shows changed, field by field,
    in the same words, from the import, by whoever imported."""
    enterprise.qualifications.set([qualifications["gaoxin"]])
    Contact.objects.create(
        enterprise=enterprise, name="钱七", phone="0531-80000001", is_primary=True
    )
    Contact.objects.create(enterprise=enterprise, name="孙八", phone="0531-80000002")
    before = actions.snapshot(enterprise)
    listing = csv_bytes(
        [
            "企业名称,统一社会信用代码,企业规模,服务等级,规上企业,资质,地址,联系人,联系电话",
            f"济南泉华电子股份有限公司,{enterprise.uscc},中型,重点企业,是,专精特新、高新技术企业,"
            "济南市历城区工业北路1号,钱七,13800000007",
        ],
        "utf-8",
    )
    report = import_enterprises(io.BytesIO(listing), name="更新.csv", actor=admin_user)
    assert report.as_dict() == {"created": 0, "updated": 1, "rejected": []}
    after = actions.snapshot(enterprise)
    changed = {field for field in actions.TRACKED if before[field] != after[field]}
    assert changed == {
        "name",
        "region",
        "size",
        "tier",
        "above_scale",
        "address",
        "qualifications",
        "contacts",
    }
    history = EnterpriseChange.objects.filter(enterprise=enterprise)
    assert {
        (change.field, change.old, change.new, change.source, change.actor_id) for change in history
    } == {
        (field, before[field], after[field], EnterpriseChange.Source.IMPORT, admin_user.pk)
        for field in changed
    }
    # the same file again changes nothing, and notes nothing
    import_enterprises(io.BytesIO(listing), name="更新.csv")
    assert history.count() == len(changed)


def test_a_new_enterprise_has_no_history(region):
    data = csv_bytes(
        ["企业名称,统一社会信用代码", f"济南新企业有限公司,{make_uscc('91370102MA3C90001')}"],
        "utf-8",
    )
    assert import_enterprises(io.BytesIO(data), name="新.csv").created == 1
    assert not EnterpriseChange.objects.exists()
