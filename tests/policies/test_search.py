"""Searching the policy library: Chinese words found wherever they stand, the most relevant
first (every word in the title, then some, then only in the text), the newest first among
equals, filters inside the index, and the index kept by the actions that change a policy.

The same tests run on SQLite (FTS5) and PostgreSQL (tsvector): the answers are identical.
"""

import datetime as dt
import importlib
import io
import json

import pytest
from django.core.management import call_command

from qitong.core import search as text_search
from qitong.core.search import Query, highlight, phrase, ranked_terms
from qitong.orgs.models import Region
from qitong.policies import actions, search
from qitong.policies.filters import PolicyFilter
from qitong.policies.models import Policy
from qitong.policies.search import INDEX, Results
from tests.policies.library import Library

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    return Library()


def found(query, stop=50):
    return INDEX.window(query, stop)


def ids(*policies):
    return [policy.pk for policy in policies]


def words(*found_words, **rest):
    return Query(words=found_words, **rest)


def spy(function, calls):
    """``function``, each call's arguments and answer kept in ``calls``."""

    def spied(*args, **kwargs):
        answer = function(*args, **kwargs)
        calls.append((args, answer))
        return answer

    return spied


# --- terms --------------------------------------------------------------------------------


def test_a_text_is_indexed_by_pairs_each_runs_last_character_and_the_joints_of_digits():
    assert ranked_terms("贷款贴息，ＡＢＣ１２３ 与 QT-2026，企业。税") == [
        "贷款",
        "款贴",
        "贴息",
        "息",
        "息_abc123",  # letters or digits meet another run: a joint
        "abc123",
        "abc123_与",
        "与",
        "与_qt",
        "qt",
        "qt_2026",
        "2026",
        "2026_企",
        "企业",
        "业",
        "税",  # two Chinese runs: no joint, their pairs find them
    ]


def test_every_word_becomes_a_phrase_the_index_can_answer():
    def shape(word):
        found = phrase(word)
        return found.terms, found.prefix, found.pattern

    assert shape("高新技术") == (("高新", "新技", "技术"), False, "高新技术")
    assert shape("税") == (("税",), True, "税")  # 税收, 纳税, 纳税人
    # Letters and digits are whole words, and their joints with the runs beside them are
    # terms: a character after them begins the text's run (A股份, 27号文), one after a
    # Chinese run ends it.
    assert shape("A股") == (("a", "a_股"), False, " a 股")
    assert shape("国办发〔2023〕27号") == (
        ("国办", "办发", "发", "发_2023", "2023", "2023_27", "27", "27_号"),
        False,
        "国办发 2023 27 号",
    )
    assert shape("企业，税") == (("企业", "业", "税"), False, "企业 税 ")
    assert phrase("，。") is None
    assert text_search.folded("国办发〔2023〕27号文，ＡＢＣ") == " 国办发 2023 27 号文 abc "


# --- finding ------------------------------------------------------------------------------


def test_it_finds_a_chinese_word_wherever_it_stands(library):
    tax = library.publish("关于减免小微企业税费的通知", "对小微企业减半征收所得税。")
    payer = library.publish("纳税人权益保护办法", "保障纳税人合法权益。")
    other = library.publish("人才公寓申请指南", "申请条件与流程。")
    assert set(found(words("税"))) == set(ids(tax, payer))  # 税费, 所得税, 纳税人
    assert found(words("所得税")) == ids(tax)
    assert found(words("人才公寓")) == ids(other)
    assert found(words("保护办法权益")) == []  # every character there, not the word


def test_a_document_number_finds_its_policy_whatever_its_brackets(library):
    wanted = library.publish("关于优化营商环境的意见", "全文。", number="国办发〔2023〕27号")
    library.publish("关于优化营商环境的通知", "全文。", number="国办发〔2023〕28号")
    assert found(words("国办发〔2023〕27号")) == ids(wanted)
    assert found(words("国办发[2023]27号")) == ids(wanted)
    assert found(words("〔2023〕27")) == ids(wanted)  # 27 whole: not 2023〕270
    assert found(words("2023", "27号")) == ids(wanted)


def test_joints_find_what_follows_digits_and_what_a_run_began(library):
    dated = library.publish("关于2024年度资金申报的通知", "2024年5月10日前提交，A股上市企业。")
    other = library.publish("关于资金申报的通知", "5月前提交材料，2024年、10日内办结。")
    assert found(words("2024年")) == ids(dated, other)  # in its title first
    assert found(words("5月10日")) == ids(dated)
    assert found(words("A股")) == ids(dated)  # A股上市: the run goes on
    assert found(words("年5月")) == ids(dated)
    assert found(words("月10")) == ids(dated)  # other: 5月前 … 10日


def test_a_run_of_letters_longer_than_a_term_may_be_is_indexed_and_found(library):
    blob = "ab12" * 800  # 3,200 letters and digits
    pasted = library.publish("关于公布校验码的通知", f"校验码：{blob}。", number="X-1")
    assert found(words(blob)) == ids(pasted)
    assert INDEX.window(words(blob), 50, few=True) == ids(pasted)
    assert found(words(f"校验码：{blob}")) == ids(pasted)
    assert highlight(f"码{blob}", [blob]) == f"码<mark>{blob}</mark>"


def test_every_word_must_be_found(library):
    both = library.publish("高新技术企业研发补贴办法", "对研发投入给予补贴。")
    library.publish("高新技术企业认定办法", "认定条件。")
    assert found(words("高新技术", "补贴")) == ids(both)


# --- ranking ------------------------------------------------------------------------------


def test_a_title_holding_the_word_comes_before_a_text_mentioning_it_then_the_newest(library):
    day = dt.date(2024, 1, 1)
    in_text_new = library.publish(
        "关于做好稳岗工作的通知",
        "支持高新技术企业稳定岗位。",
        published=day + dt.timedelta(days=30),
    )
    in_title_old = library.publish(
        "高新技术企业认定管理办法", "认定条件与程序。", published=day - dt.timedelta(days=400)
    )
    in_title_new = library.publish(
        "关于支持高新技术企业发展的若干措施", "具体措施如下。", published=day
    )
    in_text_old = library.publish(
        "关于印发产业发展规划的通知", "培育高新技术企业。", published=day - dt.timedelta(days=10)
    )
    undated = library.publish("高新技术产业统计办法", "统计口径。", published=None)
    assert found(words("高新技术")) == ids(
        in_title_new, in_title_old, undated, in_text_new, in_text_old
    )


def test_with_several_words_all_in_the_title_beats_some_beats_none(library):
    none = library.publish(
        "关于做好年度工作的通知", "高新技术企业可申请研发补贴。", published=dt.date(2024, 9, 1)
    )
    some = library.publish("研发补贴申报指南", "面向高新技术企业。", published=dt.date(2024, 6, 1))
    every = library.publish("高新技术企业研发补贴办法", "办法全文。", published=dt.date(2020, 1, 1))
    assert found(words("高新技术", "补贴")) == ids(every, some, none)


def test_a_page_further_on_goes_on_where_the_first_stopped(library):
    day = dt.date(2024, 1, 1)
    policies = [
        library.publish(
            f"稳岗补贴第{n}批名单" if n % 2 else f"关于第{n}批工作的通知",
            "申请稳岗补贴。",
            published=day + dt.timedelta(days=n),
        )
        for n in range(1, 8)
    ]
    every = found(words("稳岗补贴"), stop=7)
    titled = [p.pk for p in reversed(policies) if "稳岗补贴" in p.title]
    assert every == titled + [p.pk for p in reversed(policies) if p.pk not in titled]
    assert found(words("稳岗补贴"), stop=5)[2:5] == every[2:5]
    assert INDEX.count(words("稳岗补贴"), 100) == 7
    assert INDEX.count(words("稳岗补贴"), 3) == 3  # counting stops at what is asked


def test_with_no_words_the_newest_come_first(library):
    old = library.publish("旧政策", published=dt.date(2020, 1, 1))
    new = library.publish("新政策", published=dt.date(2024, 1, 1))
    assert found(Query()) == ids(new, old)


# --- filters ------------------------------------------------------------------------------


def test_filters_narrow_inside_the_index(library):
    shandong, jinan, lixia = (
        Region.objects.get(code=code) for code in ("370000", "370100", "370102")
    )
    provincial = library.publish(
        "山东省支持企业技术改造的意见",
        "技术改造。",
        issuer="山东省人民政府",
        category="technology",
        level="provincial",
        region=shandong.code,
        published=dt.date(2023, 3, 1),
    )
    district = library.publish(
        "历下区支持企业技术改造的措施",
        "技术改造。",
        issuer="济南市历下区科学技术局",
        category="technology",
        level="district",
        region=lixia.code,
        published=dt.date(2024, 3, 1),
    )
    money = library.publish(
        "济南市中小企业贷款贴息办法",
        "技术改造贷款贴息。",
        issuer="济南市财政局",
        category="financing",
        level="city",
        region=jinan.code,
        published=dt.date(2024, 6, 1),
    )
    assert found(words("技术改造", tags=search.tags(category="technology"))) == ids(
        district, provincial
    )
    assert found(words("技术改造", tags=search.tags(level="city"))) == ids(money)
    # A region takes in the divisions under it.
    assert found(Query(tags=search.tags(region="370100"))) == ids(money, district)
    assert found(Query(tags=search.tags(region="370000"))) == ids(money, district, provincial)
    # The issuer: words of its name.
    assert found(Query(fields={"i": ["科学技术局"]})) == ids(district)
    assert found(Query(fields={"i": ["山东省"]})) == ids(provincial)
    since = dt.date(2024, 3, 1).toordinal()
    assert found(words("技术改造", since=since)) == ids(district, money)  # its title first


def test_the_filter_form_builds_the_query_and_names_a_bad_field(library):
    form = PolicyFilter({"q": " 高新技术  补贴 ", "category": "technology", "since": "2024-01-31"})
    assert form.is_valid()
    query = form.query(library.keeper)
    assert query.words == ("高新技术", "补贴") and query.since == dt.date(2024, 1, 31).toordinal()
    assert query.tags == ("c_technology",) and query.without == ()
    bad = PolicyFilter({"since": "2024-13-01", "category": "nothing", "region": "999999"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"since", "category", "region"}
    assert "999999" in bad.errors["region"][0]


# --- who sees what ------------------------------------------------------------------------


def test_a_policy_kept_from_the_public_is_found_by_staff_only(
    library, enterprise_user, unit_user, leader_user, admin_user, django_user_model
):
    from django.contrib.auth.models import AnonymousUser

    shown = library.publish("公开的稳岗政策", "稳岗。")
    hidden = library.publish("内部稳岗工作方案", "稳岗。", public=False)
    for user in (AnonymousUser(), enterprise_user):
        query = PolicyFilter({"q": "稳岗"}).query(user)
        assert found(query) == ids(shown)
        assert [p.pk for p in Results(user, query)[0:10]] == ids(shown)
    for user in (library.keeper, unit_user, leader_user, admin_user):
        query = PolicyFilter({"q": "稳岗"}).query(user)
        assert set(found(query)) == {shown.pk, hidden.pk}


def test_results_stay_within_what_the_user_may_see_even_if_the_index_lags(library, enterprise_user):
    policy = library.publish("稳岗补贴政策", "稳岗。")
    Policy.objects.filter(pk=policy.pk).update(public=False)  # not re-indexed: the index lags
    query = PolicyFilter({"q": "稳岗"}).query(enterprise_user)
    assert found(query) == ids(policy)
    assert Results(enterprise_user, query)[0:10] == []  # the visible set has the last word


# --- keeping the index ----------------------------------------------------------------------


def test_a_page_read_again_changed_is_found_by_its_new_words_only(library):
    policy = library.publish("关于人才公寓的通知", "申请人才公寓。", published=dt.date(2024, 1, 1))
    library.read(
        policy, "关于人才公寓的通知（修订）", "申请人才驿站。", published=dt.date(2024, 2, 1)
    )
    assert found(words("人才驿站")) == ids(policy)
    assert found(words("人才公寓")) == ids(policy)  # still in its title
    assert found(words("申请人才公寓")) == []
    assert found(words("人才公寓", since=dt.date(2024, 2, 1).toordinal())) == ids(policy)


def test_a_staff_correction_moves_a_policy_to_its_new_category_and_date(library):
    policy = library.publish("企业上市奖励办法", "上市奖励。", category="other")
    actions.correct_policy(library.keeper, policy.pk, category="financing", published="2025-01-01")
    assert found(Query(tags=search.tags(category="financing"))) == ids(policy)
    assert found(Query(tags=search.tags(category="other"))) == []
    assert found(words("上市", since=dt.date(2025, 1, 1).toordinal())) == ids(policy)


def test_rebuilding_the_index_gives_the_same_answers(library):
    one = library.publish("稳岗补贴办法", "稳岗。", published=dt.date(2024, 1, 1))
    two = library.publish("关于稳岗的通知", "稳岗补贴。", published=dt.date(2024, 2, 1))
    three = library.publish("稳岗补贴目录", "目录。", published=dt.date(2023, 1, 1))
    before = found(words("稳岗补贴"))
    out = io.StringIO()
    call_command("policyindex", stdout=out)  # ``search.rebuild``
    assert json.loads(out.getvalue())["indexed"] == 3
    assert found(words("稳岗补贴")) == before == ids(one, three, two)
    out = io.StringIO()
    call_command("policyindex", "--parts", stdout=out)  # part by part, each committed
    assert json.loads(out.getvalue())["indexed"] == 3
    assert found(words("稳岗补贴")) == before
    assert INDEX.count(Query(), 100) == 3
    from django.db import connection

    if connection.vendor == "postgresql":  # the rows laid out in key order (``_lay_out``)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id FROM "{INDEX.table}" ORDER BY ctid')
            assert [pk for (pk,) in cursor.fetchall()] == ids(three, one, two)


def test_the_index_made_again_by_a_migration_keeps_every_document_and_reads_one_character(
    library,
):
    """SQLite: ``RankedIndex.rebuild`` makes the terms' table again from the terms it keeps,
    with each term also under its first character; the answers stay the same."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the terms' table is SQLite's")
    tax = library.publish("关于减免小微企业税费的通知", "对小微企业减半征收所得税。")
    payer = library.publish("纳税人权益保护办法", "保障纳税人合法权益。")
    other = library.publish("稳岗补贴办法", "稳岗。")
    queries = [words("税"), words("纳税人"), words("稳岗"), Query()]
    before = [(INDEX.count(query, 100), found(query)) for query in queries]
    with connection.cursor() as cursor:  # the table as 0005 made it, emptied: only the side
        cursor.execute(f'DROP TABLE "{INDEX.table}"')  # table's terms are left to rebuild from
        cursor.execute(
            f"CREATE VIRTUAL TABLE \"{INDEX.table}\" USING fts5(terms, content='', "
            "columnsize=0, tokenize=\"unicode61 tokenchars '_'\")"
        )
    assert found(words("稳岗")) == []
    # Not entered: SQLite's editor refuses to start inside the test's transaction, and
    # ``rebuild`` only executes statements through it. (A transactional test here would
    # flush the database and upset the serialized rollback of the concurrency tests.)
    INDEX.rebuild(connection.schema_editor())
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [INDEX.table])
        (made,) = cursor.fetchone()
    assert "prefix='1'" in made
    assert [(INDEX.count(query, 100), found(query)) for query in queries] == before
    assert set(found(words("税"))) == set(ids(tax, payer))
    assert found(words("稳岗")) == ids(other)


def test_the_migration_indexes_a_library_again_with_its_joints(library, monkeypatch):
    """policies.0011: a library indexed before joints (``core.search.joint``) is indexed again
    from its policies, so that its document numbers are found by the phrases with joints."""
    from django.apps import apps

    joints = importlib.import_module("qitong.policies.migrations.0011_text_index_joints")
    with monkeypatch.context() as before_joints:
        before_joints.setattr(text_search, "joint", lambda left, right: None)
        wanted = library.publish("关于优化营商环境的意见", "全文。", number="国办发〔2023〕27号")
        other = library.publish("关于2024年度资金申报的通知", "2024年5月10日前提交。")
    number = words("国办发〔2023〕27号")
    # Not found through the terms (PostgreSQL's dense reading checks the folded text alone).
    assert INDEX.window(number, 50, few=True) == []
    joints.reindex(apps, None)
    assert INDEX.window(number, 50, few=True) == found(number) == ids(wanted)
    assert found(words("5月10日")) == ids(other)
    assert INDEX.count(Query(), 100) == 2


def test_a_rebuild_by_parts_stopped_midway_leaves_a_whole_index_when_run_again(
    library, monkeypatch
):
    """The migration's rebuild commits part by part; stopped in the middle and run again, it
    starts from an empty index: every policy found once."""
    made = [library.publish(f"第{n}批稳岗补贴名单", "稳岗。") for n in range(5)]
    monkeypatch.setattr(search, "BATCH", 2)
    monkeypatch.setattr(search, "COMMIT_BATCHES", 1)
    add, calls = INDEX.add, []

    def failing(documents, connection=None):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("killed")
        add(documents, connection=connection)

    monkeypatch.setattr(INDEX, "add", failing)
    with pytest.raises(OSError):
        search.rebuild(whole=False)
    assert INDEX.count(Query(), 100) == 2  # the first part committed, the rest never came
    assert search.rebuild(whole=False) == len(made)
    assert found(words("稳岗补贴")) == ids(*reversed(made))
    assert INDEX.count(words("稳岗补贴"), 100) == len(made)


# --- showing --------------------------------------------------------------------------------


def test_found_words_are_marked_and_everything_else_escaped():
    title = "关于<script>alert('高新')</script>高新技术企业的通知"
    assert highlight(title, ["高新技术"]) == (
        "关于&lt;script&gt;alert(&#x27;高新&#x27;)&lt;/script&gt;<mark>高新技术</mark>企业的通知"
    )
    assert highlight("ＡＢＣ公司与abcd公司", ["abc"]) == "<mark>ＡＢＣ</mark>公司与abcd公司"
    assert highlight("文号：国办发〔2023〕27号", ["国办发[2023]27号"]) == (
        "文号：<mark>国办发〔2023〕27号</mark>"
    )


def test_a_passage_starts_shortly_before_the_first_place_found():
    body = "一" * 100 + "\n对高新技术企业给予奖励。" + "二" * 100
    passage = highlight(body, ["高新技术"], passage=40, lead=5)
    assert passage == "…一一一 对<mark>高新技术</mark>企业给予奖励。" + "二" * 24 + "…"
    assert highlight("短文", ["不在"], passage=40) == "短文"


def test_reading_newest_first_or_through_the_candidates_gives_the_same_answers(
    library, monkeypatch
):
    """PostgreSQL reads a tier newest first along the key, or its candidates through the GIN
    index, all at once or window by window of recency (each policy here in a period of its
    own); every way must give exactly what SQLite's one way gives."""
    day = dt.date(2024, 1, 1)
    made = [
        library.publish(title, body, published=day + dt.timedelta(days=40 * n), **extra)
        for n, (title, body, extra) in enumerate(
            [
                ("高新技术企业认定办法", "认定条件。", {"category": "technology"}),
                ("关于做好稳岗工作的通知", "支持高新技术企业稳岗，给予补贴。", {}),
                ("研发补贴申报指南", "面向高新技术企业。", {"issuer": "济南市科学技术局"}),
                ("企业纳税信用评价办法", "纳税人信用。", {"category": "tax", "public": False}),
                (
                    "关于优化营商环境的意见",
                    "文号国办发〔2023〕27号。",
                    {"number": "国办发〔2023〕27号"},
                ),
                ("高新技术企业研发补贴办法", "研发投入补贴。", {"level": "city"}),
            ]
        )
    ]
    queries = [
        words("高新技术"),
        words("高新技术", "补贴"),
        words("税"),
        words("国办发〔2023〕27号"),
        words("企业", without=(search.PRIVATE,)),
        words("企业", fields={"i": ["科学技术"]}),
        words("企业", tags=search.tags(category="technology")),
        words("补贴", since=(day + dt.timedelta(days=80)).toordinal()),
        Query(without=(search.PRIVATE,)),
        Query(tags=search.tags(level="city")),
    ]

    def answers(**reading):
        INDEX._kept.clear()
        return [(INDEX.count(query, 100), INDEX.window(query, 50, **reading)) for query in queries]

    sparse = answers(few=True)  # through the GIN index
    monkeypatch.setattr(text_search, "DENSE_ROWS", 3)  # the newest 3, then the older sparse
    # Whatever the planner expects of a tier (dense first, or sparse at once), and of the
    # count (the newest first, then the older), the answers are the same.
    for expects in (True, False):
        monkeypatch.setattr(INDEX, "_expects", lambda *_args, expects=expects: expects)
        assert answers() == sparse

    # Sparse window by window: the newest 2, the period before, the two before it, the rest; the
    # periods' terms of a window, or too many periods to name (read by the key alone).
    monkeypatch.setattr(text_search, "DENSE_ROWS", 2)
    monkeypatch.setattr(text_search, "WINDOW_PERIODS", (1, 2))
    for most_periods in (32, 1):
        monkeypatch.setattr(text_search, "MOST_PERIODS", most_periods)
        for expects in (True, False):
            monkeypatch.setattr(INDEX, "_expects", lambda *_args, expects=expects: expects)
            assert answers() == sparse
    # With the table's size known, a question the newest would not fill at their rate reads
    # all the older at once (``_rest``) instead of window by window: the same answers.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{INDEX.table}"')
        merged = []
        monkeypatch.setattr(INDEX, "_rest", spy(INDEX._rest, merged))
        monkeypatch.setattr(text_search, "MOST_PERIODS", 32)  # windows read by their periods
        for expects in (True, False):
            monkeypatch.setattr(INDEX, "_expects", lambda *_args, expects=expects: expects)
            assert answers() == sparse
        # Some reading's windows were given up for one reading of the rest: after the newest
        # documents', and after a later window's (its rate too low for the windows ahead).
        assert any(answer is not args[2] for args, answer in merged)
        assert any(
            answer is not parts and done.get("high") is not None
            for (_cursor, done, parts, *_rest), answer in merged
        )

    monkeypatch.setattr(text_search, "DENSE_ROWS", 100)  # all along the key
    assert answers() == sparse
    answers = sparse
    assert answers[0][1] == ids(made[5], made[0], made[2], made[1])
    assert answers[2] == (1, ids(made[3])) and answers[3] == (1, ids(made[4]))


def test_postgresql_reads_the_newest_first_where_the_planner_expects_them_to_fill_a_page(
    library, monkeypatch
):
    """``RankedIndex._expects``: from the table's statistics, a word most documents hold
    fills a page among the newest; a word few hold, or a title tier nobody's title has,
    does not; without statistics nothing is expected (sparse, as before any estimate)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the estimate is PostgreSQL's planner's")
    day = dt.date(2024, 1, 1)
    for n in range(60):
        body = "企业稳岗。" + ("碳达峰。" if n == 0 else "")
        library.publish(f"第{n}号通知", body, published=day + dt.timedelta(days=n))

    monkeypatch.setattr(text_search, "DENSE_ROWS", 10)  # a page of 2 among the 10 newest

    def expects(query, tier, wanted=2):
        with INDEX._reading(connection) as cursor:
            return INDEX._expects(cursor, query, text_search._Tier(tier), wanted)

    assert not expects(words("企业"), "")  # no statistics yet
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{INDEX.table}"')
    INDEX._kept.clear()  # the figures a search keeps for a while, as a new process has none
    assert expects(words("企业"), "")
    assert expects(words("企业"), "none")
    assert not expects(words("企业"), "all")  # no title holds it
    assert not expects(words("碳达峰"), "")
    assert expects(Query(), "")  # nothing to look up: every document
    # A word of one character (a prefix) is weighed by its matches among the newest few.
    monkeypatch.setattr(text_search, "SAMPLE_ROWS", 10)
    assert expects(words("企"), "")
    assert not expects(words("碳"), "")  # only in the oldest


def test_postgresql_checks_a_rows_marks_only_where_its_text_holds_the_words(library):
    """``RankedIndex.select``: the text (in the row) before the marks (mostly in the TOAST
    table), which the planner would check first as the cheaper-looking; same answers."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the order of PostgreSQL's checks")
    found = library.publish("关于减税的通知", "减税降费。")
    library.publish("关于用地的通知", "用地保障。")
    library.publish("内部税务通知", "税务。", public=False)
    query = words("税", without=(search.PRIVATE,))
    sql, params = INDEX.select("postgresql", query, text_search._Tier(""))
    where = sql.split(" WHERE ", 1)[1]
    assert where.startswith("CASE WHEN strpos(text, %s) > 0 THEN marks @@ %s::tsquery END")
    assert "marks" not in where.split(" END", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert [key & text_search.ID_MASK for (key,) in cursor.fetchall()] == [found.pk]


def test_a_figure_of_the_table_is_kept_only_once_it_is_settled():
    """A table never analysed (-1 documents) is asked again at the next search, so its first
    statistics are used at once; a settled figure is kept and not read again."""

    class Cursor:
        class db:
            alias = "default"

    index = text_search.RankedIndex("figures_test")
    answers = iter([-1, -1, 50_000, 60_000])
    reads = []

    def read(cursor):
        reads.append(1)
        return next(answers)

    def figure():
        return index._figure(Cursor(), "documents", read, settled=lambda value: value > 0)

    assert [figure(), figure(), figure(), figure()] == [-1, -1, 50_000, 50_000]
    assert len(reads) == 3


def test_the_migration_gives_documents_indexed_before_periods_their_period(library, monkeypatch):
    """``RankedIndex.add_periods`` (policies.0009): a library indexed without the periods'
    terms gets each document's, and its windowed readings find what they found before."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the periods are PostgreSQL's")
    day = dt.date(2020, 1, 1)
    made = [
        library.publish(
            f"第{n}号高新技术通知", "支持企业。", published=day + dt.timedelta(days=90 * n)
        )
        for n in range(6)
    ]
    table = f'"{INDEX.table}"'
    shift = text_search.ID_BITS + text_search.PERIOD_SHIFT

    def with_their_period():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table} "
                f"WHERE terms @@ (quote_literal(%s || (key >> {shift})::text))::tsquery",
                [text_search.PERIOD_MARK],
            )
            return cursor.fetchone()[0]

    assert with_their_period() == len(made)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET terms = ts_delete(terms, %s || (key >> {shift})::text)",
            [text_search.PERIOD_MARK],
        )
    assert with_their_period() == 0
    with connection.schema_editor() as schema_editor:
        INDEX.add_periods(schema_editor)
    assert with_their_period() == len(made)
    monkeypatch.setattr(text_search, "DENSE_ROWS", 2)
    monkeypatch.setattr(text_search, "WINDOW_PERIODS", (4,))
    monkeypatch.setattr(INDEX, "_expects", lambda *_args: False)  # window by window
    INDEX._kept.clear()
    assert INDEX.count(words("高新技术"), 50) == len(made)
    assert INDEX.window(words("高新技术"), 50) == ids(*reversed(made))
