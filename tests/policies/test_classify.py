"""What ``policies.classify`` reads from a policy: level and region, category (rules, then the
trained model), validity, the conditions of whom it is for, and the policy a reading explains.

The divisions are the shipped GB/T 2260 list the migration loads; the
qualifications are the library's rows, found by code or name and never made up.
"""

import csv
import datetime as dt
import json
import os
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from qitong.core.schedule import JOBS
from qitong.enterprises.models import Qualification
from qitong.orgs.models import Region
from qitong.policies import classify, tasks
from qitong.policies.models import Category, Level, Policy

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
By = Policy.CategoryBy


def region(code):
    return Region.objects.get(code=code)


def source(level="", code=None):
    """What ``classify`` reads of a source: its level and region."""
    return SimpleNamespace(level=level, region=region(code) if code else None)


@pytest.fixture
def qualifications(db):
    rows = [
        ("high-tech", "高新技术企业"),
        ("specialized", "专精特新中小企业"),
        ("little-giant", "专精特新“小巨人”企业"),
        ("tech-sme", "科技型中小企业"),
        ("gazelle", "瞪羚企业"),
    ]
    return {code: Qualification.objects.create(code=code, name=name) for code, name in rows}


# --- level and region ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "site", "level", "code"),
    [
        ("济南市人民政府", ("city", "370100"), Level.CITY, "370100"),
        ("济南市人民政府办公厅", ("", None), Level.CITY, "370100"),
        ("山东省人民政府办公厅", ("city", "370100"), Level.PROVINCIAL, "370000"),
        ("历下区人民政府", ("city", "370100"), Level.DISTRICT, "370102"),
        ("北京市密云区人民政府", ("provincial", "110000"), Level.DISTRICT, "110118"),
        ("国家税务总局济南市税务局", ("city", "370100"), Level.CITY, "370100"),
        ("国务院办公厅", ("provincial", "370000"), Level.NATIONAL, None),
        ("工业和信息化部 财政部", ("city", "370100"), Level.NATIONAL, None),
        # no place named: the word's level, and the source's government at that level
        ("省政府办公厅", ("city", "370100"), Level.PROVINCIAL, "370000"),
        ("市发展和改革委员会", ("city", "370100"), Level.CITY, "370100"),
        ("市发展和改革委员会", ("district", "370102"), Level.CITY, "370100"),
        # 市 on a province-level city's site is the province's own government
        ("市政府办公厅", ("provincial", "310000"), Level.PROVINCIAL, "310000"),
        ("区人民政府", ("city", "370100"), Level.DISTRICT, "370100"),
        # nothing to go by: the source's own
        ("", ("city", "370100"), Level.CITY, "370100"),
        ("某某中心", ("district", "370102"), Level.DISTRICT, "370102"),
    ],
)
def test_level_and_region_come_from_the_issuer_then_the_source(issuer, site, level, code):
    found_level, found_region = classify.place("", issuer, source(*site))
    assert found_level == level
    assert (found_region.code if found_region else None) == code


def test_a_shared_name_is_the_one_inside_the_sources_region():
    """市中区 is a district of 济南, 枣庄, 乐山…: the source's city says which."""
    assert classify.place("", "市中区人民政府", source("city", "370100"))[1].code == "370103"
    assert classify.place("", "市中区人民政府", source("city", "370400"))[1].code == "370402"
    # 朝阳区 of 北京 or of 长春: the province named beside it decides
    assert classify.place("", "北京市朝阳区人民政府", source())[1].code == "110105"


def test_a_short_name_inside_a_longer_word_is_not_a_place():
    """丰县 hides in 宝丰县, 城区 in 主城区."""
    level, found = classify.place("", "宝丰县人民政府", source())
    assert (level, found.code) == (Level.DISTRICT, "410421")
    assert classify.place("", "主城区建设指挥部", source("city", "370100")) == (
        Level.CITY,
        region("370100"),
    )


def test_without_an_issuer_the_titles_head_speaks():
    title = "济南市人民政府关于印发济南市支持实体经济发展若干政策的通知"
    assert classify.place(title, "", source("provincial", "370000")) == (
        Level.CITY,
        region("370100"),
    )
    # "转发国务院…" is the province forwarding, not the State Council speaking
    forwarded = "转发国务院关于进一步深化化肥流通体制改革决定的通知"
    assert classify.place(forwarded, "", source("provincial", "440000")) == (
        Level.PROVINCIAL,
        region("440000"),
    )


# --- category: rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("关于印发《济南市支持中小企业融资的若干措施》的通知", Category.FINANCING),
        ("关于加快推进制造业数字化转型升级的实施意见", Category.INDUSTRY),
        ("关于开展2024年度高新技术企业认定工作的通知", Category.TECHNOLOGY),
        ("关于进一步优化营商环境降低市场主体制度性交易成本的意见", Category.BUSINESS_ENVIRONMENT),
        ("关于实施高层次人才引进计划的通知", Category.TALENT),
        ("关于延续实施小微企业增值税减免政策的公告", Category.TAX),
        ("关于促进外贸稳规模优结构的若干措施", Category.TRADE),
        ("关于支持大学生返乡创业的通知", Category.ENTREPRENEURSHIP),
        ("关于张三同志任职的通知", Category.OTHER),
        ("国务院办公厅关于调整国务院残疾人工作委员会组成人员的通知", Category.OTHER),
    ],
)
def test_a_title_keyword_decides(title, category):
    assert classify.categorize(title, "") == (category, By.RULE)


def test_a_title_outweighs_the_body():
    body = "税收优惠按有关规定执行。" * 2 + "纳税申报不变。"
    assert classify.categorize("关于实施青年人才引进计划的通知", body) == (
        Category.TALENT,
        By.RULE,
    )


def test_a_body_full_of_one_subject_decides_a_plain_title():
    body = "对企业贷款给予贴息。" * 3 + "融资担保费给予补助。" * 3 + "支持企业上市挂牌。" * 3
    assert classify.categorize("关于做好有关工作的通知", body) == (Category.FINANCING, By.RULE)


def test_what_no_rule_is_sure_of_is_other_and_undecided():
    assert classify.categorize("关于做好有关工作的通知", "") == (Category.OTHER, "")
    # two subjects at par: no rule is sure
    assert classify.by_rules("关于支持外贸企业融资的通知", "") is None


def test_the_rules_are_precise_on_real_titles():
    """The hand-labelled real titles (``fixtures/policy_labels*.csv``): what the rules decide
    they decide right; a label may allow several categories."""
    rows = [
        row
        for name in ("policy_labels.csv", "policy_labels_blind.csv")
        for row in csv.DictReader((FIXTURES / name).open(encoding="utf-8"))
    ]
    decided = right = 0
    for row in rows:
        category = classify.by_rules(row["title"], "")
        if category is not None:
            decided += 1
            right += category in row["category"].split("|")
    assert len(rows) == 350
    assert decided >= 150
    assert right / decided >= 0.93


# --- category: the trained model -----------------------------------------------------------

# Titles whose words hint at a category without a rule being sure of it.
FISH = ["关于渔船更新的通知", "关于远洋渔船补助的通知", "关于渔港建设与渔船管理的通知"]
SHOPS = ["关于夜市摊点管理的通知", "关于早市摊点设置的通知", "关于夜市摊位规范的通知"]


def _examples():
    fish = [(title, "渔船渔港渔民。", Category.INDUSTRY) for title in FISH]
    shops = [(title, "摊点摊位夜市。", Category.TRADE) for title in SHOPS]
    return (fish + shops) * 3


def test_the_model_decides_what_the_rules_only_hint_at():
    model = classify.fit(_examples())
    title = "关于渔船渔港产业用地的通知"  # 产业 hints at industry, not enough for a rule
    assert classify.by_rules(title, "") is None
    assert classify.categorize(title, "", model=model) == (Category.INDUSTRY, By.MODEL)
    # with no word of any rule, the model's guess is not taken
    assert classify.rule_scores("关于渔船渔港的通知", "") == {}
    assert classify.categorize("关于渔船渔港的通知", "", model=model) == (Category.OTHER, "")


def _policy(title, category, by, body=""):
    return Policy.objects.create(title=title, body=body, category=category, category_by=by)


def _held_out(*by):
    """How many examples the training keeps out: those whose key is a multiple of five."""
    keys = Policy.objects.filter(category_by__in=by).values_list("pk", flat=True)
    return sum(1 for key in keys if key % classify.HELD_OUT_EVERY == 0)


def test_training_reads_staffs_and_the_rules_categories_only(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for title in FISH * 3:
        _policy(title, Category.INDUSTRY, By.STAFF)
    for title in SHOPS * 3:
        _policy(title, Category.TRADE, By.RULE)
    for title in ["关于天文台开放的通知"] * 5:  # the model's own guesses teach it nothing
        _policy(title, Category.TECHNOLOGY, By.MODEL)
    _policy("关于某事的通知", Category.OTHER, "")
    summary = classify.train()
    assert summary["examples"] == 18
    assert summary["classes"] == {"industry": 9, "trade": 9}
    assert summary["held_out"] == _held_out(By.STAFF, By.RULE) and summary["saved"] is True
    assert 0 <= summary["accuracy"] <= 1
    stored = json.loads(default_storage.open(classify.MODEL_PATH).read())
    assert stored["classes"] == ["industry", "trade"]
    assert stored["documents"] == {"industry": 9, "trade": 9}
    folder = Path(default_storage.path(classify.MODEL_PATH)).parent
    assert [path.name for path in folder.iterdir()] == ["classifier.json"]  # no temporary left
    model = classify.load_model()
    assert model.predict("关于渔船补助的通知", "")[0] == Category.INDUSTRY


def test_training_reads_staffs_first_then_the_newest_rules_at_most(monkeypatch):
    monkeypatch.setattr(classify, "MODEL_EXAMPLES_MOST", 4)
    day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for title in FISH:
        Policy.objects.create(
            title=title, category=Category.INDUSTRY, category_by=By.STAFF, first_seen_at=day
        )
    for index, title in enumerate(SHOPS + ["关于早市摊点的通知", "关于晚市摊点的通知"]):
        Policy.objects.create(
            title=title,
            category=Category.TRADE,
            category_by=By.RULE,
            first_seen_at=day + dt.timedelta(days=index),
        )
    rows = list(classify.training_examples())
    assert [row[1] for row in rows] == [*reversed(FISH), "关于晚市摊点的通知"]
    assert classify.train(save=False)["classes"] == {"industry": 3, "trade": 1}


def test_no_model_is_written_from_fewer_than_two_classes(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for title in FISH:
        _policy(title, Category.INDUSTRY, By.STAFF)
    assert classify.train() == {
        "examples": 3,
        "classes": {"industry": 3},
        "accuracy": None,
        "held_out": 0,
        "saved": False,
    }
    assert not default_storage.exists(classify.MODEL_PATH)
    assert classify.load_model() is None


def test_a_new_model_is_read_when_the_file_changes(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    first = classify.fit(_examples())
    classify.save_model(first)
    assert classify.load_model().classes == ["industry", "trade"]
    second = classify.fit([*_examples(), ("关于张三任职的通知", "", Category.OTHER)])
    classify.save_model(second)
    path = default_storage.path(classify.MODEL_PATH)
    later = os.stat(path).st_mtime + 5
    os.utime(path, (later, later))  # a filesystem's clock may not tick between two writes
    assert classify.load_model().classes == ["industry", "other", "trade"]


def test_the_command_trains_and_prints_json(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for title in FISH * 2:
        _policy(title, Category.INDUSTRY, By.STAFF)
    for title in SHOPS * 2:
        _policy(title, Category.TRADE, By.STAFF)
    out = StringIO()
    call_command("policyclassifier", "train", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["examples"] == 12
    assert summary["classes"] == {"industry": 6, "trade": 6}
    assert summary["held_out"] == _held_out(By.STAFF) and summary["saved"] is True
    assert default_storage.exists(classify.MODEL_PATH)


def test_training_is_a_daily_job():
    (job,) = [job for job in JOBS if job.task == "qitong.policies.tasks.train_classifier"]
    assert job.every == dt.timedelta(days=1)
    assert tasks.train_classifier.name == job.task


# --- validity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "published", "expected"),
    [
        ("本办法自2024年3月1日起施行，有效期5年。", None, ("2024-03-01", "2029-02-28")),
        (
            "本通知自印发之日起施行，有效期至2026年12月31日。",
            "2024-05-06",
            ("2024-05-06", "2026-12-31"),
        ),
        ("执行期限为2023年1月1日至2025年12月31日。", None, ("2023-01-01", "2025-12-31")),
        (
            "四、本通知的执行时间为2007年1月1日至2009年12月31日。",
            None,
            ("2007-01-01", "2009-12-31"),
        ),
        ("第二十二条　本意见自颁布之日起30日后施行。", "2014-07-03", ("2014-08-02", None)),
        ("本规定自二〇二四年一月一日起施行，有效期三年。", None, ("2024-01-01", "2026-12-31")),
        ("本办法自2024年2月29日起施行，有效期1年。", None, ("2024-02-29", "2025-02-27")),
        ("本政策有效期3年。", None, (None, None)),  # three years from when? not said
        (
            "从2019年1月1日起，启动实施三年见习计划。",
            None,
            (None, None),
        ),  # a measure, not the policy
        ("自2025年1月1日起施行，有效期至2024年12月31日。", None, ("2025-01-01", None)),
        ("", "2024-01-01", (None, None)),
    ],
)
def test_validity_is_read_from_clear_words(body, published, expected):
    day = dt.date.fromisoformat
    found = classify.validity(body, published=day(published) if published else None)
    assert tuple(value.isoformat() if value else None for value in found) == expected


def test_a_policy_issued_on_a_day_takes_its_written_date():
    found = classify.validity(
        "本规定自印发之日起执行。",
        published=dt.date(2016, 4, 22),
        written=dt.date(2016, 4, 20),
    )
    assert found == (dt.date(2016, 4, 20), None)


# --- conditions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "sizes"),
    [
        ("关于支持小微企业发展的若干措施", ["small", "micro"]),
        ("关于促进中小企业平稳健康发展的若干措施", ["medium", "small", "micro"]),
        ("关于帮扶中小微企业纾困发展的工作方案", ["medium", "small", "micro"]),
        ("关于扶持小型微型企业健康发展的意见", ["small", "micro"]),
        ("关于选择一批大型企业集团进行试点的通知", ["large"]),
        ("关于推动大中小企业融通创新的意见", []),  # every size: any
        ("关于认定中小企业公共服务示范平台的通知", []),  # the platforms are not the firms
        ("关于解决国有企业办中小学退休教师待遇的通知", []),
    ],
)
def test_sizes_come_from_clear_words(title, sizes):
    assert classify.conditions(title, "")["sizes"] == sizes


@pytest.mark.parametrize(
    ("title", "codes"),
    [
        ("关于推动制造业高质量发展的若干措施", ["C"]),
        ("关于促进软件和信息技术服务业发展的意见", ["I65"]),
        ("关于加快推进现代渔业高质量发展的意见", ["A04"]),
        ("关于促进快递服务业发展的意见", ["G60"]),
        ("关于支持住宿餐饮业和批发零售业纾困的措施", ["F", "H"]),
        ("关于公布农业产业化省重点龙头企业名单的通知", []),  # processors as much as farms
        ("关于印发农业农村局工作要点的通知", []),
        ("关于表彰全省林业工作先进集体的通报", []),
    ],
)
def test_industries_come_from_clear_words(title, codes):
    assert classify.conditions(title, "")["industries"] == codes


def test_a_body_speaks_of_whom_only_where_it_says_so():
    body = (
        "一、总体要求。推动餐饮业提质。\n"
        "二、支持对象：在本市登记的软件企业和小微企业。\n"
        "三、其他。鼓励制造业企业参与。"
    )
    found = classify.conditions("关于印发若干措施的通知", body)
    assert found["industries"] == ["I65"]
    assert found["sizes"] == ["small", "micro"]


def test_tiers_come_from_key_enterprises():
    assert classify.conditions("关于做好重点企业用工保障的通知", "")["tiers"] == ["key"]
    assert classify.conditions("关于公布重点企业名单的通知", "")["tiers"] == []


def test_qualifications_are_the_librarys_rows(qualifications):
    def codes(title, body=""):
        return [row.code for row in classify.conditions(title, body)["qualifications"]]

    assert codes("关于支持专精特新中小企业高质量发展的若干措施") == ["specialized"]
    assert codes("关于经济特区新设立高新技术企业实行过渡性税收优惠的通知") == ["high-tech"]
    assert codes("关于印发", "奖励对象：新认定的专精特新“小巨人”企业。") == []  # gaining it
    assert codes("关于印发", "支持对象：专精特新“小巨人”企业和瞪羚企业。") == [
        "little-giant",
        "gazelle",
    ]
    # gaining one is not holding it; 科技小巨人 is another city's title; 高新区 is a place
    assert codes("关于开展2024年高新技术企业认定工作的通知") == []
    assert codes("关于推迟科技小巨人企业绩效评价材料报送的通知") == []
    assert codes("关于同意兰州白银高新技术产业开发区建设国家自主创新示范区的批复") == []


def test_a_qualification_the_library_lacks_is_not_made_up(db):
    Qualification.objects.create(code="gxjs", name="国家高新技术企业")
    found = classify.conditions("关于支持高新技术企业和瞪羚企业发展的措施", "")
    assert [row.code for row in found["qualifications"]] == ["gxjs"]  # by name; no 瞪羚 row
    assert Qualification.objects.count() == 1


# --- interpretations -----------------------------------------------------------------------

ORIGINAL = "济南市人民政府关于印发《济南市稳就业若干政策措施》的通知"


def _read(title, **values):
    policy = Policy.objects.create(title=title, **values)
    classify.reclassify(policy, source("city", "370100"))
    policy.refresh_from_db()
    return policy


def test_a_reading_explains_the_policy_it_names():
    original = _read(ORIGINAL, published=dt.date(2024, 3, 1))
    Policy.objects.create(title="关于印发《济南市稳就业若干政策措施解读》的通知")  # a reading too
    for title in (
        "《济南市稳就业若干政策措施》政策解读",
        "一图读懂《济南市稳就业若干政策措施》",
        "济南市稳就业若干政策措施解读",
    ):
        reading = _read(title, published=dt.date(2024, 3, 5))
        assert reading.interprets_id == original.pk, title
    assert _read("关于某项工作的解读").interprets_id is None
    assert original.interprets_id is None


def test_a_policy_read_after_its_reading_collects_it():
    day = dt.date(2024, 3, 5)
    reading = _read("《济南市稳就业若干政策措施》政策解读", published=day)
    corrected = _read("一图读懂《济南市稳就业若干政策措施》", published=day)
    corrected.corrected = ["interprets"]
    corrected.save()
    # a reading from years before is of an earlier policy of the same name
    old = _read("济南市稳就业若干政策措施解读", published=dt.date(2020, 3, 5))
    assert reading.interprets_id is None
    original = _read(ORIGINAL, published=dt.date(2024, 3, 1))
    for policy in (reading, corrected, old):
        policy.refresh_from_db()
    assert reading.interprets_id == original.pk
    assert corrected.interprets_id is None  # staff said it explains nothing
    assert old.interprets_id is None


# --- the whole -----------------------------------------------------------------------------


def test_reclassify_fills_the_machines_fields(qualifications):
    policy = Policy.objects.create(
        title="关于支持专精特新中小企业融资的若干措施",
        issuer="济南市工业和信息化局",
        body="本措施自2024年1月1日起施行，有效期3年。\n支持对象：本市制造业中小企业。",
    )
    changed = classify.reclassify(policy, source("city", "370100"))
    policy.refresh_from_db()
    assert (policy.level, policy.region.code) == (Level.CITY, "370100")
    assert (policy.category, policy.category_by) == (Category.FINANCING, By.RULE)
    assert (policy.valid_from, policy.valid_until) == (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert policy.industries == ["C"]
    assert policy.sizes == ["medium", "small", "micro"]
    assert [row.code for row in policy.qualifications.all()] == ["specialized"]
    assert set(changed) >= {"level", "region", "category", "industries", "qualifications"}
    assert classify.reclassify(policy, source("city", "370100")) == []  # nothing new to say


def test_reclassify_leaves_corrected_fields_alone(qualifications):
    policy = Policy.objects.create(
        title="关于支持专精特新中小企业融资的若干措施",
        issuer="济南市工业和信息化局",
        category=Category.TALENT,
        category_by=By.STAFF,
        sizes=["large"],
        corrected=["category", "sizes", "qualifications", "region"],
    )
    policy.qualifications.set([qualifications["gazelle"]])
    classify.reclassify(policy, source("city", "370100"))
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.TALENT, By.STAFF)
    assert policy.sizes == ["large"]
    assert policy.region is None
    assert [row.code for row in policy.qualifications.all()] == ["gazelle"]
    assert policy.level == Level.CITY  # not corrected: the machine's
