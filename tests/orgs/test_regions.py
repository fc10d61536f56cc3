"""Administrative divisions: the shipped list, abolished codes and their heirs, ``regions load``."""

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs import regions
from qitong.orgs.models import Region

pytestmark = pytest.mark.django_db


def shipped_rows():
    return regions.parse(regions.SHIPPED.read_bytes())


def run_load(tmp_path, text, *args, encoding="utf-8"):
    """``qitong regions load`` on a file with ``text``; returns (stdout, stderr, error)."""
    path = tmp_path / "divisions.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    out, err = _Stream(), _Stream()
    try:
        call_command("regions", "load", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.text, err.text, str(exc)
    return out.text, err.text, None


class _Stream:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_a_migrated_database_knows_every_division_of_the_shipped_list():
    rows = shipped_rows()
    assert Region.objects.count() == len(rows) > 6000
    provinces = Region.objects.filter(level=Region.Level.PROVINCE, is_active=True)
    # 23 provinces, 5 autonomous regions, 4 municipalities, Hong Kong and Macao: the MCA lists 34.
    assert provinces.count() == 34
    assert {"110000", "650000", "710000", "810000", "820000"} <= set(
        provinces.values_list("code", flat=True)
    )
    lixia = Region.objects.select_related("parent__parent").get(code="370102")
    assert (lixia.name, lixia.level, lixia.is_active) == ("历下区", Region.Level.COUNTY, True)
    assert (lixia.parent.code, lixia.parent.name, lixia.parent.level) == (
        "370100",
        "济南市",
        Region.Level.PREFECTURE,
    )
    assert lixia.parent.parent.code == "370000"
    dongcheng = Region.objects.get(code="110101")
    assert (dongcheng.name, dongcheng.parent.code) == ("东城区", "110000")  # 直辖: no prefecture
    assert Region.objects.get(code="650000").name == "新疆维吾尔自治区"
    assert Region.objects.filter(level=Region.Level.TOWN).count() == 0


def test_an_abolished_code_stays_inactive_and_leads_to_its_heir():
    zhangqiu_city = Region.objects.get(code="370181")
    assert (zhangqiu_city.name, zhangqiu_city.is_active) == ("章丘市", False)
    assert zhangqiu_city.successor.code == "370114"
    # 章丘县 (to 1992) → 章丘市 (to 2016) → 章丘区: the chain is followed to its end.
    assert Region.objects.current("370122").code == "370114"
    assert Region.objects.current("370102").code == "370102"
    assert Region.objects.current("379999") is None


def test_every_abolished_division_of_the_list_leads_to_one_in_use():
    by_id = {region.pk: region for region in Region.objects.all()}
    for region in by_id.values():
        seen, current = set(), region
        while not current.is_active:
            assert current.successor_id is not None, current.code
            assert current.pk not in seen, current.code
            seen.add(current.pk)
            current = by_id[current.successor_id]
        if region.parent_id is not None:
            assert by_id[region.parent_id].code in Region.parent_codes_for(region.code)


def test_the_migration_keeps_the_ids_of_divisions_already_there():
    """An installation that made 济南市 and 历下区 by hand before the list shipped."""
    Region.objects.update(parent=None, successor=None)
    Region.objects.all().delete()
    city = Region.objects.create(code="370100", name="济南")
    lixia = Region.objects.create(code="370102", name="历下", parent=city)
    made_up = Region.objects.create(code="379901", name="自建区划", parent=city)
    migration = importlib.import_module("qitong.orgs.migrations.0004_load_divisions")
    state = MigrationExecutor(connection).loader.project_state(("orgs", "0004_load_divisions"))

    migration.load_divisions(state.apps, None)

    assert Region.objects.count() == len(shipped_rows()) + 1
    lixia.refresh_from_db()
    assert (lixia.name, lixia.parent_id, lixia.is_active) == ("历下区", city.pk, True)
    city.refresh_from_db()
    assert (city.name, city.parent.code) == ("济南市", "370000")
    made_up.refresh_from_db()
    assert (made_up.name, made_up.level, made_up.parent_id) == ("自建区划", "county", city.pk)


def test_loading_the_shipped_list_again_changes_nothing(tmp_path):
    out, err, error = run_load(tmp_path, regions.SHIPPED.read_bytes())
    assert error is None
    assert "新增 0 个，更名 0 个，撤销 0 个" in out
    assert f"未变 {len(shipped_rows())} 个" in out


def test_load_adds_renames_and_deactivates_with_a_successor(tmp_path, region):
    company = Enterprise.objects.create(
        uscc=make_uscc("91370102MA3C00001"), name="济南泉华电子有限公司", industry="C3989"
    )
    assert company.region == region
    out, err, error = run_load(
        tmp_path,
        "代码,名称,上级代码,继任代码\n"
        "370103,市中新区,370100\n"  # renamed
        "370102,历下区,370100,370103\n"  # abolished, its area to 370103
        "370199,泉城新区,370100,\n"  # new county
        "370199001,泉城街道,370199\n"  # a street of the new county, in the same file
        "370103002,七贤街道,370103\n",
    )
    assert error is None, err
    assert out.strip() == (
        "新增 3 个，更名 1 个，撤销 1 个，恢复在用 0 个，调整上级或继任 0 个，未变 0 个。"
    )
    region.refresh_from_db()
    assert (region.is_active, region.successor.code, region.name) == (False, "370103", "历下区")
    company.refresh_from_db()
    assert company.region == region  # old enterprises keep the division they had
    company.full_clean()
    company.save()
    company.refresh_from_db()
    assert company.region == region  # even when edited later
    assert Region.objects.get(code="370103").name == "市中新区"
    street = Region.objects.get(code="370199001")
    assert (street.level, street.parent.code, street.parent.level) == (
        Region.Level.TOWN,
        "370199",
        Region.Level.COUNTY,
    )
    assert Region.objects.current("370102").code == "370103"
    # A new enterprise registered under the old code lands in the heir.
    newcomer = Enterprise.objects.create(
        uscc=make_uscc("91370102MA3C00002"), name="济南新泉科技有限公司", industry="I6513"
    )
    assert newcomer.region.code == "370103"


def test_an_abolished_code_comes_back_into_use_when_listed_again(tmp_path):
    out, err, error = run_load(tmp_path, "370181,章丘市,370100\n")
    assert error is None, err
    assert "更名 0 个，撤销 0 个，恢复在用 1 个" in out
    zhangqiu = Region.objects.get(code="370181")
    assert (zhangqiu.is_active, zhangqiu.successor) == (True, None)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("\ufeffcode,name,parent_code\n370102001,解放路街道,370102\n", "utf-8"),
        ("# 历下区的街道\n370102001,解放路街道,370102\n\n", "gbk"),
    ],
    ids=["utf-8 with BOM and header", "gbk with comment"],
)
def test_towns_load_from_utf8_with_bom_or_gbk(tmp_path, data, encoding):
    out, err, error = run_load(tmp_path, data, encoding=encoding)
    assert error is None, err
    assert out.startswith("新增 1 个")
    assert Region.objects.get(code="370102001").name == "解放路街道"


def test_a_bad_file_is_refused_whole_with_every_line_named(tmp_path):
    before = list(Region.objects.values_list("code", "name", "is_active").order_by("code"))
    text = (
        "code,name,parent_code,successor\n"  # 1
        "370102001,解放路街道,370102\n"  # 2: good, but must not be written
        "3701021,坏代码,370102\n"  # 3
        "370102002,,370102\n"  # 4
        "370102003,千佛山街道,370103\n"  # 5: a town outside its county
        "370102004,龙洞街道,370102,370102099\n"  # 6: unknown successor
        "370198001,某街道,370198\n"  # 7: unknown parent
        "370102001,解放路街道,370102\n"  # 8: twice
        "370102005,姚家\x00街道,370102\n"  # 9
        "370102006,甸柳街道\n"  # 10
        "370102007,文东街道,370102\n"  # 11: good
    )
    out, err, error = run_load(tmp_path, text)
    assert error == "文件 {} 有 8 处错误，未做任何修改。".format(tmp_path / "divisions.csv")
    lines = err.strip().splitlines()
    assert [line.split("：")[0] for line in lines] == [
        f"第 {number} 行" for number in (3, 4, 5, 6, 7, 8, 9, 10)
    ]
    assert "代码 3701021 无效" in lines[0]
    assert lines[1].endswith("名称为空。")
    assert "上级代码“370103”与代码 370102003 不相符：应为 370102" in lines[2]
    assert "继任代码 370102099 不存在" in lines[3]
    assert "上级代码 370198 不存在" in lines[4]
    assert "在第 2 行已出现" in lines[5]
    assert "空字符" in lines[6]
    assert "应有 3 或 4 列" in lines[7]
    assert list(Region.objects.values_list("code", "name", "is_active").order_by("code")) == before


def test_a_province_with_a_parent_and_an_undecodable_file_are_refused(tmp_path):
    out, err, error = run_load(tmp_path, "370000,山东省,110000\n")
    assert "370000 是省级区划，上级代码应为空" in err
    out, err, error = run_load(tmp_path, b"\xff\xfe\x00\x00garbage")
    assert "文件编码无法识别" in err
    assert error is not None


def test_a_dry_run_reports_and_writes_nothing(tmp_path):
    out, err, error = run_load(tmp_path, "370102001,解放路街道,370102\n", "--dry-run")
    assert error is None, err
    assert out.startswith("（试运行，未写入）新增 1 个")
    assert not Region.objects.filter(code="370102001").exists()


def test_a_missing_file_is_a_sentence_not_a_traceback(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("regions", "load", str(tmp_path / "nowhere.csv"))


def test_the_model_checks_code_parent_and_successor_in_chinese(region):
    town = Region(code="370102001", name="解放路街道")
    with pytest.raises(ValidationError) as caught:
        town.full_clean()
    assert caught.value.message_dict["parent"] == ["乡镇、街道须有上级县级区划。"]
    town.parent = Region.objects.get(code="370103")
    with pytest.raises(ValidationError) as caught:
        town.full_clean()
    assert caught.value.message_dict["parent"] == ["上级区划 370103 与代码 370102001 不相符。"]
    with pytest.raises(ValidationError) as caught:
        Region(code="37010", name="坏", parent=region).full_clean()
    assert "6 位数字" in caught.value.message_dict["code"][0]
    region.successor = Region.objects.get(code="370103")
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert caught.value.message_dict["successor"] == ["在用的区划不应有继任区划；撤销后再填写。"]
    town.parent = region
    town.save()
    assert town.level == Region.Level.TOWN


def test_new_codes_naming_each_other_as_successors_still_load(tmp_path):
    """A loop cannot be created in order; it loads, and leads nowhere rather than forever."""
    out, err, error = run_load(
        tmp_path,
        "370198,甲区,370100,370199\n370199,乙区,370100,370198\n370197,丙区,370100,370198\n",
    )
    assert error is None, err
    assert out.startswith("新增 3 个")
    assert Region.objects.get(code="370198").successor.code == "370199"
    assert Region.objects.get(code="370199").successor.code == "370198"
    assert Region.objects.get(code="370197").successor.code == "370198"
    assert Region.objects.current("370197") is None


def test_the_database_refuses_a_successor_for_a_division_in_use(region):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.filter(pk=region.pk).update(successor=Region.objects.get(code="370103"))


def test_a_runaway_quote_is_a_line_error_not_a_traceback(tmp_path):
    out, err, error = run_load(tmp_path, '370102001,"解放路街道,370102\n' + "x" * 200_000 + "\n")
    assert error is not None
    assert "无法按 CSV 解析：字段过长或引号不成对。" in err
