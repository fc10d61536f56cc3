"""The registry with progress as Excel, through core.exports."""

import io

import openpyxl
import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_registry_exports_what_the_caller_sees_with_progress(city):
    project = city.register('=HYPERLINK("http://evil","点击")')
    city.register("市中项目", district=city.shizhong, unit=city.gxj)
    city.report(project, "2026-01", "300", text="桩基完成", problems=["用电增容"])
    city.close("2026-01")

    response = client_for(city.district_user).get("/api/v1/projects/registry.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("项目名称", "项目单位", "统一社会信用代码")
    assert len(rows) == 2  # the district office sees its district's project only
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["项目名称"] == '=HYPERLINK("http://evil","点击")'  # text, never a formula
    assert sheet.cell(2, 1).data_type == "s"
    assert row["计划总投资（万元）"] == 1200
    assert row["累计完成投资（万元）"] == 300
    assert row["总投资完成（%）"] == 25
    assert (row["最近排名月份"], row["推进情况"]) == ("2026-01", "超前")
    assert (row["最近填报月份"], row["最近形象进度"]) == ("2026-01", "桩基完成")
    assert (row["提出问题"], row["待转诉求"]) == (1, 0)  # filed with its report


def test_the_export_takes_the_list_s_filters_and_refuses_enterprises(city):
    city.register("历下项目")
    city.register("市中项目", district=city.shizhong, unit=city.gxj)
    response = client_for(city.office_user).get("/api/v1/projects/registry.xlsx", {"unit": "gxj"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["市中项目"]
    assert client_for(city.ent_user).get("/api/v1/projects/registry.xlsx").status_code == 403
