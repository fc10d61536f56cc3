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


def test_emptying_a_ranked_index_on_sqlite_does_not_write_zeroes_over_every_freed_page(
    tmp_path, django_db_blocker
):
    """Debian's SQLite zeroes each page it frees and logs it (SECURE_DELETE): emptying a large
    index before a rebuild wrote the whole index again, as zeroes, into the log."""
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings = {**connections["default"].settings_dict, "NAME": str(tmp_path / "scratch.db")}
    settings.update(ENGINE="django.db.backends.sqlite3", OPTIONS={}, TEST={})
    scratch = DatabaseWrapper(settings, alias="scratch")  # a file of its own, with a log
    with django_db_blocker.unblock():
        _empty_a_filled_index(scratch)


def _empty_a_filled_index(scratch):
    from qitong.core.search import Document, RankedIndex

    try:
        with scratch.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA secure_delete = ON")
        index = RankedIndex("scratch_text")
        with scratch.schema_editor(atomic=False) as editor:
            index.create(editor)
        text = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(3000))
        index.add(
            [Document(id=n, recency=n, text=text[n % 50 :] + str(n)) for n in range(1, 301)],
            connection=scratch,
        )
        with scratch.cursor() as cursor:
            cursor.execute("PRAGMA page_count")
            (pages,) = cursor.fetchone()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            index.clear(connection=scratch)
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            _busy, logged, _done = cursor.fetchone()
            cursor.execute("PRAGMA secure_delete")
            (secure,) = cursor.fetchone()
        assert pages > 500
        assert logged < pages / 10  # the freed pages are not each written again
        assert secure == 1  # the connection's own setting back as it was
    finally:
        scratch.close()
