"""The market regulator's registry export, synced by USCC: facts, status, history, new codes."""

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from qitong.core import jobs
from qitong.enterprises import actions, registry
from qitong.enterprises.imports import UnreadableFile
from qitong.enterprises.models import Enterprise, EnterpriseChange
from qitong.enterprises.uscc import make_uscc

pytestmark = pytest.mark.django_db

Registration = Enterprise.Registration
KNOWN = make_uscc("91370102MA3C90001")
CLOSING = make_uscc("91370102MA3C90002")
REVOKED = make_uscc("91370102MA3C90003")
FRESH = make_uscc("91370100MA3C90004")  # division 济南市: the county from the address
DEAD_UNKNOWN = make_uscc("91370102MA3C90005")
MOVED = make_uscc("91370102MA3C90006")
HEADER = "统一社会信用代码,企业名称,法定代表人,注册资本,成立日期,登记状态,住所,国民经济行业"


def write_csv(path, lines, encoding="utf-8"):
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def known(region):
    """Enterprises the platform holds, one a hotline caller named (unverified)."""
    made = {}
    for code, name, verified in (
        (KNOWN, "济南泉城科技有限公司", False),
        (CLOSING, "济南将歇商贸有限公司", True),
        (REVOKED, "济南吊销餐饮有限公司", True),
        (MOVED, "济南迁出物流有限公司", True),
    ):
        made[code] = Enterprise.objects.create(
            uscc=code,
            name=name,
            region=region,
            industry="C3989",
            address="济南市历下区经营地址1号",
            verified=verified,
        )
    return made


def export(tmp_path, *rows):
    return write_csv(tmp_path / "登记.csv", [HEADER, *rows], "gbk")


def test_sync_updates_by_code_flags_closed_ones_and_creates_only_trading_ones(
    tmp_path, known, region
):
    bad = KNOWN[:17] + ("0" if KNOWN[17] != "0" else "1")
    path = export(
        tmp_path,
        f"{KNOWN},济南泉城科技股份有限公司,王五,500万元人民币,2015年3月12日,存续（在营、开业、在册）,"
        "济南市历下区住所2号,[I6513]应用软件开发",
        f"{CLOSING},济南将歇商贸有限公司,赵六,100,2010-01-02,注销,,",
        f"{REVOKED},济南吊销餐饮有限公司,孙七,50万美元,2012/5/6,吊销，未注销,,",
        f"{MOVED},济南迁出物流有限公司,,,,迁出,,",
        f"{FRESH},济南新设智能制造有限公司,李四,1.5亿元,20200101,在业,山东省济南市历城区工业北路8号,制造业",
        f"{DEAD_UNKNOWN},济南早已注销有限公司,周八,10,2001-01-01,注销,,",
        f"{bad},济南码错有限公司,吴九,10,2001-01-01,存续,,",
        f"{FRESH},济南新设智能制造有限公司（重复）,李四,,,存续,,",
        f"{make_uscc('91370102MA3C90007')},济南怪状态有限公司,,,2001-02-30,歇业中,,",
    )

    report = registry.sync(str(path))

    assert report.as_dict() == {
        "created": 1,
        "updated": 4,
        "skipped": 1,
        "rejected": [
            {
                "row": 8,
                "reason": f"统一社会信用代码校验位错误：第 18 位应为 {KNOWN[17]}，实际为 {bad[17]}。",
            },
            {"row": 9, "reason": "统一社会信用代码与第 6 行重复。"},
            {
                "row": 10,
                "reason": "成立日期“2001-02-30”不是有效日期，应如 2015-03-12。"
                "登记状态“歇业中”无法识别：应为存续（在业）、注销、吊销或迁出。",
            },
        ],
    }
    one = Enterprise.objects.get(uscc=KNOWN)
    assert one.name == "济南泉城科技股份有限公司"  # the registry's legal name wins
    assert one.legal_representative == "王五"
    assert one.registered_capital == Decimal("500") and one.capital_currency == "人民币"
    assert one.established_on == dt.date(2015, 3, 12)
    assert one.registration_status == Registration.ACTIVE
    assert one.address == "济南市历下区经营地址1号"  # the operating address stays
    assert one.industry == "C3989"  # the office's code stays
    assert one.verified and one.registry_checked_at is not None

    # Closed ones are flagged, never deleted.
    closing = Enterprise.objects.get(uscc=CLOSING)
    assert closing.registration_status == Registration.DEREGISTERED
    assert closing.registration_flagged
    assert closing.registered_capital == Decimal("100")  # a bare number is in 万元
    revoked = Enterprise.objects.get(uscc=REVOKED)
    assert revoked.registration_status == Registration.REVOKED
    assert (revoked.registered_capital, revoked.capital_currency) == (Decimal("50"), "美元")
    assert Enterprise.objects.get(uscc=MOVED).registration_status == Registration.MOVED_OUT
    assert not Enterprise.objects.filter(uscc=DEAD_UNKNOWN).exists()

    fresh = Enterprise.objects.get(uscc=FRESH)
    assert fresh.region.code == "370112"  # 历城区, from the address
    assert fresh.industry == "C"  # a section's name gives the section
    assert fresh.registered_capital == Decimal("15000")
    assert fresh.established_on == dt.date(2020, 1, 1)
    assert fresh.verified and fresh.registration_status == Registration.ACTIVE
    assert not fresh.changes.exists()  # a new enterprise has no history


def test_every_change_is_in_the_history_under_the_registry_source(tmp_path, known, admin_user):
    path = export(
        tmp_path,
        f"{KNOWN},济南泉城科技股份有限公司,王五,500万元人民币,2015-03-12,存续,,",
        f"{CLOSING},济南将歇商贸有限公司,,,,注销,,",
    )
    registry.sync(str(path), actor=admin_user)

    changes = {
        (c.enterprise.uscc, c.field): (c.old, c.new, c.source, c.actor_id)
        for c in EnterpriseChange.objects.select_related("enterprise")
    }
    source = EnterpriseChange.Source.REGISTRY
    assert changes == {
        (KNOWN, "name"): (
            "济南泉城科技有限公司",
            "济南泉城科技股份有限公司",
            source,
            admin_user.pk,
        ),
        (KNOWN, "legal_representative"): ("", "王五", source, admin_user.pk),
        (KNOWN, "registered_capital"): ("", "500 万元人民币", source, admin_user.pk),
        (KNOWN, "established_on"): ("", "2015-03-12", source, admin_user.pk),
        (KNOWN, "registration_status"): ("未核对", "存续", source, admin_user.pk),
        (KNOWN, "verified"): ("否", "是", source, admin_user.pk),
        (CLOSING, "registration_status"): ("未核对", "注销", source, admin_user.pk),
    }
    assert str(EnterpriseChange.Source.REGISTRY.label) == "市场监管登记"
    # The history's words are the snapshot's: what the dossier shows now.
    after = actions.snapshot(known[KNOWN])
    assert after["registered_capital"] == "500 万元人民币"
    assert after["registration_status"] == "存续"

    # The same export again changes nothing and writes no history.
    count = EnterpriseChange.objects.count()
    again = registry.sync(str(path), actor=admin_user)
    assert (again.created, again.updated, again.rejected) == (0, 2, [])
    assert EnterpriseChange.objects.count() == count


def test_empty_fields_are_filled_and_empty_cells_change_nothing(tmp_path, region):
    bare = Enterprise.objects.create(uscc=KNOWN, name="济南空白有限公司", industry="")
    assert bare.region.code == "370102"  # from the code
    Enterprise.objects.filter(pk=bare.pk).update(region=None)
    path = export(tmp_path, f"{KNOWN},济南空白有限公司,,,,,济南市历下区泺源大街1号,C3989")

    registry.sync(str(path))

    bare.refresh_from_db()
    assert bare.address == "济南市历下区泺源大街1号"
    assert bare.industry == "C3989"
    assert bare.region.code == "370102"
    assert bare.registration_status == Registration.UNCHECKED  # no status given: none set
    assert bare.legal_representative == ""


def test_a_workbook_with_a_title_row_and_spreadsheet_dates(tmp_path, known):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "济南市市场主体登记信息（导出）"
    sheet.merge_cells("A1:F1")
    sheet.append(["序号", "统一社会信用代码", "企业名称", "成立日期", "经营状态", "注册资本(万元)"])
    sheet.append([1, KNOWN, "济南泉城科技有限公司", dt.datetime(2016, 7, 8), "在业", 300])
    path = tmp_path / "登记.xlsx"
    book.save(path)

    report = registry.sync(str(path))

    assert report.as_dict() == {"created": 0, "updated": 1, "skipped": 0, "rejected": []}
    one = Enterprise.objects.get(uscc=KNOWN)
    assert one.established_on == dt.date(2016, 7, 8)
    assert one.registered_capital == Decimal("300")


def test_an_unreadable_file_writes_nothing(tmp_path, known):
    path = tmp_path / "登记.csv"
    path.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(UnreadableFile):
        registry.sync(str(path))
    assert not EnterpriseChange.objects.exists()


def test_the_command_prints_json_and_exits_2_for_an_unreadable_file(tmp_path, capsys, known):
    path = export(tmp_path, f"{CLOSING},济南将歇商贸有限公司,,,,注销,,")
    call_command("registry", "sync", str(path))
    assert json.loads(capsys.readouterr().out) == {
        "created": 0,
        "updated": 1,
        "skipped": 0,
        "rejected": [],
    }
    with pytest.raises(CommandError) as raised:
        call_command("registry", "sync", str(tmp_path / "没有这个文件.csv"))
    assert raised.value.returncode == 2


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


PAGE = "/admin/enterprises/enterprise/registry/"


def upload(*rows):
    text = "\n".join([HEADER, *rows])
    return SimpleUploadedFile("登记.csv", text.encode("gbk"), content_type="text/csv")


def test_the_admin_syncs_a_small_file_at_once_and_flags_closed_enterprises(
    client, admin_user, known, media
):
    client.force_login(admin_user)
    assert f'href="{PAGE}"' in client.get("/admin/enterprises/enterprise/").content.decode()
    page = client.post(PAGE, {"file": upload(f"{CLOSING},济南将歇商贸有限公司,,,,注销,,")})
    assert page.status_code == 200
    assert "新增 0 家，更新 1 家，拒绝 0 行。" in page.content.decode()
    change = EnterpriseChange.objects.get()
    assert (change.actor_id, change.field) == (admin_user.pk, "registration_status")

    listing = client.get("/admin/enterprises/enterprise/?registration_status=deregistered")
    text = listing.content.decode()
    assert '<strong class="registry-flagged">注销</strong>' in text
    assert "济南将歇商贸有限公司" in text and "济南泉城科技有限公司" not in text


def test_the_admin_syncs_a_large_file_in_a_job(client, admin_user, known, media, settings):
    settings.QITONG_IMPORT_JOB_BYTES = 10
    client.force_login(admin_user)
    response = client.post(PAGE, {"file": upload(f"{REVOKED},济南吊销餐饮有限公司,,,,吊销,,")})
    assert response.status_code == 302
    job_id = int(response["Location"].rsplit("job=", 1)[1])
    assert jobs.run_queued() == [job_id]
    page = client.get(response["Location"]).content.decode()
    assert "新增 0 家，更新 1 家，拒绝 0 行。" in page
    assert Enterprise.objects.get(uscc=REVOKED).registration_status == Registration.REVOKED


def test_only_who_may_import_may_sync(client, office_user, media):
    client.force_login(office_user)
    response = client.get(PAGE)
    assert response.status_code in (302, 403)


def test_the_dossier_shows_the_registry_facts_and_flags_a_closed_enterprise(
    client, admin_user, known, tmp_path
):
    registry.sync(
        str(
            export(tmp_path, f"{CLOSING},济南将歇商贸有限公司,赵六,100万元人民币,2010-01-02,注销,,")
        ),
        actor=admin_user,
    )
    client.force_login(admin_user)
    page = client.get(f"/enterprises/{known[CLOSING].pk}/dossier/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "市场监管登记状态为“注销”，该企业已不在本地正常经营。" in text
    assert '<strong class="tag warning">注销</strong>' in text
    assert "赵六" in text and "100 万元人民币" in text and "2010-01-02" in text
    assert "市场监管登记" in text  # the history's source
    trading = client.get(f"/enterprises/{known[KNOWN].pk}/dossier/").content.decode()
    assert 'data-testid="registration-flag"' not in trading


def test_an_enterprise_may_have_no_industry_and_is_verified_unless_said(region):
    enterprise = Enterprise(uscc=FRESH, name="济南无行业有限公司", industry="")
    enterprise.full_clean()  # blank industry allowed (imports and registry rows without one)
    enterprise.save()
    assert enterprise.verified and enterprise.industry_section == ""
    assert enterprise.registration_status == Registration.UNCHECKED
    assert not enterprise.registration_flagged
