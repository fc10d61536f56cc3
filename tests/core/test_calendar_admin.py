"""The admin page that loads a year's official schedule (admin:core_calendaryear_load)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qitong.core.admin import MAX_SCHEDULE_FILE
from qitong.core.models import CalendarDay, CalendarYear
from qitong.core.workdays import Deadline, add_workdays

LOAD_URL = "admin:core_calendaryear_load"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SCHEDULE_2027 = "2027-01-01,holiday,元旦\n2027-01-04,holiday,调休\n2027-02-20,workday,春节调休\n"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user, backend=MODEL_BACKEND)
    return client


def post(client, **data):
    return client.post(reverse(LOAD_URL), {"year": 2027, "text": "", "note": "", **data})


def form_errors(response):
    form = response.context["form"]
    return [str(message) for message in form.non_field_errors()], dict(form.errors)


@pytest.mark.django_db
def test_the_load_page_shows_the_year_text_file_and_note_fields(admin_client):
    response = admin_client.get(reverse(LOAD_URL))

    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["year", "text", "file", "note"]
    assert 'enctype="multipart/form-data"' in response.content.decode()


@pytest.mark.django_db
def test_the_load_page_sends_anonymous_visitors_to_the_admin_login(client):
    response = client.get(reverse(LOAD_URL))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
def test_the_load_page_turns_away_staff_without_change_permission(client, office_user):
    office_user.is_staff = True
    office_user.save()
    client.force_login(office_user, backend=MODEL_BACKEND)

    response = client.post(reverse(LOAD_URL), {"year": 2027, "text": SCHEDULE_2027})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert not CalendarYear.objects.exists()
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_loading_a_pasted_2027_schedule_stores_its_days_and_the_year(admin_client):
    response = post(admin_client, text=SCHEDULE_2027, note="国办发明电〔2026〕1号")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:core_calendaryear_changelist")
    assert list(CalendarYear.objects.values_list("year", "note")) == [
        (2027, "国办发明电〔2026〕1号")
    ]
    rows = CalendarDay.objects.values_list("date", "kind", "name", "source")
    assert list(rows) == [
        (dt.date(2027, 1, 1), "holiday", "元旦", "official"),
        (dt.date(2027, 1, 4), "holiday", "调休", "official"),
        (dt.date(2027, 2, 20), "workday", "春节调休", "official"),
    ]


@pytest.mark.django_db
def test_loading_tells_the_admin_how_many_days_were_loaded(admin_client):
    response = admin_client.post(
        reverse(LOAD_URL), {"year": 2027, "text": SCHEDULE_2027, "note": ""}, follow=True
    )

    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "已载入 2027 年安排，共 3 天；该年份不再是暂定。"
        "在办诉求的期限正在后台重新计算，进度见“后台任务”。"
    ]


@pytest.mark.django_db
def test_a_provisional_deadline_becomes_official_after_loading_2027_in_the_admin(admin_client):
    start = dt.datetime.fromisoformat("2026-12-30T10:00+08:00")
    assert add_workdays(start, 3) == Deadline(
        dt.datetime.fromisoformat("2027-01-05T10:00+08:00"), provisional=True
    )

    post(admin_client, text=SCHEDULE_2027)

    # 1 and 4 January are now both off: the third day ends on Wednesday 6 January.
    assert add_workdays(start, 3) == Deadline(
        dt.datetime.fromisoformat("2027-01-06T10:00+08:00"), provisional=False
    )


@pytest.mark.django_db
def test_loading_a_gbk_encoded_csv_upload_keeps_the_chinese_names(admin_client):
    csv = "日期,类型,名称\r\n2027-02-05,休,春节\r\n2027-02-20,班,春节调休\r\n".encode("gbk")
    upload = SimpleUploadedFile("2027.csv", csv, content_type="text/csv")

    response = post(admin_client, file=upload)

    assert response.status_code == 302
    rows = CalendarDay.objects.values_list("date", "kind", "name")
    assert list(rows) == [
        (dt.date(2027, 2, 5), "holiday", "春节"),
        (dt.date(2027, 2, 20), "workday", "春节调休"),
    ]


@pytest.mark.django_db
def test_loading_a_utf8_csv_upload_with_a_byte_order_mark(admin_client):
    csv = "\ufeff日期,类型,名称\n2027-10-04,holiday,国庆节\n".encode()
    upload = SimpleUploadedFile("2027.csv", csv, content_type="text/csv")

    response = post(admin_client, file=upload)

    assert response.status_code == 302
    assert list(CalendarDay.objects.values_list("date", "name")) == [
        (dt.date(2027, 10, 4), "国庆节")
    ]


@pytest.mark.django_db
def test_a_wrong_line_is_named_and_nothing_is_loaded(admin_client):
    text = "2027-01-01,holiday,元旦\n2027-13-01,holiday,错误\n2027-01-04,maybe\n"

    response = post(admin_client, text=text)

    assert response.status_code == 200
    errors, _fields = form_errors(response)
    assert errors == [
        "第 2 行：日期 2027-13-01 无效。",
        "第 3 行：类型 maybe 无效，应为 holiday（休）或 workday（班）。",
    ]
    assert "第 2 行" in response.content.decode()
    assert not CalendarYear.objects.exists()
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_a_day_outside_the_chosen_year_is_refused(admin_client):
    response = post(admin_client, year=2028, text=SCHEDULE_2027)

    errors, _fields = form_errors(response)
    assert errors[0] == "第 1 行：日期 2027-01-01 不在 2028 年。"
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_neither_text_nor_file_is_refused(admin_client):
    response = post(admin_client, text="   ")

    assert response.status_code == 200
    assert form_errors(response)[0] == ["请粘贴安排或上传 CSV 文件。"]


@pytest.mark.django_db
def test_a_file_that_is_neither_utf8_nor_gbk_is_refused(admin_client):
    upload = SimpleUploadedFile("2027.csv", b"\xff\xfe\xff\xff", content_type="text/csv")

    response = post(admin_client, file=upload)

    assert form_errors(response)[0] == ["文件不是 UTF-8 或 GBK 编码的文本。"]
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_a_file_over_256_kb_is_refused(admin_client):
    line = b"2027-01-01,holiday,\xe5\x85\x83\xe6\x97\xa6\n"
    content = line * (MAX_SCHEDULE_FILE // len(line) + 1)
    upload = SimpleUploadedFile("2027.csv", content, content_type="text/csv")

    response = post(admin_client, file=upload)

    assert form_errors(response)[0] == ["文件过大：不应超过 256 KB。"]
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1999, 2101, "二〇二七"])
def test_a_year_out_of_range_is_refused_on_its_field(admin_client, year):
    response = post(admin_client, year=year, text=SCHEDULE_2027)

    assert response.status_code == 200
    assert "year" in form_errors(response)[1]
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_loading_a_year_recomputes_open_deadlines_in_a_background_job_the_admin_can_follow(
    admin_client, django_capture_on_commit_callbacks
):
    from qitong.appeals.tasks import RECOMPUTE_DEADLINES
    from qitong.core import jobs
    from qitong.core.models import Job

    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_client, text=SCHEDULE_2027)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "正在后台重新计算" in page
    job = Job.objects.get(kind=RECOMPUTE_DEADLINES)
    assert job.params == {"years": [2027]} and job.status == Job.Status.QUEUED
    jobs.run_queued()
    listing = admin_client.get("/admin/core/job/").content.decode()
    assert "工作日历变更后重新计算办理期限" in listing
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
