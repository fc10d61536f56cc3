"""Full-text search over Chinese text: the terms a text and a word become."""

from qitong.core.search import terms, word_terms


def test_chinese_is_indexed_by_pairs_and_other_words_whole():
    assert terms("贷款贴息，ＡＢＣ１２３ 与 QT-2026") == [
        "贷款",
        "款贴",
        "贴息",
        "abc123",
        "与",
        "qt",
        "2026",
    ]
    assert terms("") == [] and terms(None) == []


def test_a_word_with_a_lone_character_is_left_to_a_substring_search():
    assert word_terms("贷款") == ["贷款"]
    assert word_terms("电") is None
    assert word_terms("A股") is None
    assert word_terms("，。") is None
    assert word_terms("Ｑｔ") == ["qt"]
