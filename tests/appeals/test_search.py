"""The appeals' text index, on SQLite's FTS5 and on PostgreSQL's GIN."""

import pytest

from qitong.appeals.models import TEXT_INDEX
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db


def test_the_index_finds_the_cases_that_contain_a_word(city):
    loan = city.file(
        when=at("2026-11-02 10:00"), title="贷款贴息", content="申请技改贷款贴息 ABC 公司"
    )
    power = city.file(when=at("2026-11-02 10:00"), title="用电增容", content="需要增容 2000 千伏安")
    apart = city.file(when=at("2026-11-02 10:00"), title="贷款与贴息", content="分开写")

    def found(word):
        return set(TEXT_INDEX.find(word, at_most=10))

    assert found("贷款") == {loan.pk, apart.pk}
    assert found("贷款贴息") == {loan.pk}  # the phrase, not its pairs anywhere
    assert found("增容") == {power.pk}
    assert found("2000千伏安") == {power.pk}
    assert found("abc") == {loan.pk} and found("ＡＢＣ") == {loan.pk}
    assert found("贴息贷款") == set()
    assert found(loan.number) == {loan.pk}
    assert TEXT_INDEX.find("电", at_most=10) is None  # one character: not in the index
    assert TEXT_INDEX.find("贷款", at_most=1) is None  # more than asked for: too common
    assert TEXT_INDEX.find("贷款", at_most=2) is not None


def test_a_run_of_letters_longer_than_a_term_may_be_is_indexed_and_found(city):
    """PostgreSQL refuses a term past 2,046 bytes: such a run is read as several."""
    blob = "x9" * 1500  # 3,000 letters and digits, as a pasted key or code would be
    pasted = city.file(when=at("2026-11-02 10:00"), title="密钥错误", content=f"报错：{blob}。")
    assert set(TEXT_INDEX.find(blob, at_most=10)) == {pasted.pk}
    assert set(TEXT_INDEX.find(blob[:100], at_most=10)) == {pasted.pk}
