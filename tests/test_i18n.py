"""One language per page: the catalogues are complete, compiled, and chosen by the settings.

The project's strings are written in Chinese; ``locale/en`` gives each one its
English, and ``locale/zh_Hans`` gives Chinese to the third-party strings that
ship without it. These tests extract the strings afresh from today's source,
so a string added without its English fails here (top up with
``scripts/translations.sh``).
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from django.utils.translation import trans_real

import qitong
from qitong import env

SOURCE = Path(qitong.__file__).resolve().parent
LOCALE = SOURCE / "locale"
CATALOGUES = {
    "en": LOCALE / "en" / "LC_MESSAGES" / "django.po",
    "zh_Hans": LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po",
    "zh_Hans-js": LOCALE / "zh_Hans" / "LC_MESSAGES" / "djangojs.po",
}
ENGLISH_TOO = [("zh-hans", "简体中文"), ("en", "English")]

NO_GETTEXT = any(shutil.which(tool) is None for tool in ("xgettext", "msguniq", "msgmerge"))
WHY_NO_GETTEXT = "GNU gettext (xgettext) is not installed: scripts/system-deps.sh installs it"
needs_gettext = pytest.mark.skipif(NO_GETTEXT, reason=WHY_NO_GETTEXT)


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def _messages(catalogue):
    """{(context, msgid): translation(s)} of the entries a compiled catalogue holds."""
    messages = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        if isinstance(catalogue, polib.POFile) and (not entry.translated() or entry.fuzzy):
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
            messages[_key(entry)] = (entry.msgid_plural, forms)
        else:
            messages[_key(entry)] = entry.msgstr
    return messages


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The entries ``makemessages`` extracts from today's source, from a copy of it.

    The copy keeps the real catalogue out of reach: makemessages writes into
    the nearest locale folder, and the copy has only an empty one of its own.
    """
    if NO_GETTEXT:
        pytest.skip(WHY_NO_GETTEXT)
    root = tmp_path_factory.mktemp("extract") / "qitong"
    shutil.copytree(SOURCE, root, ignore=shutil.ignore_patterns("locale", "__pycache__", "vendor"))
    (root / "locale").mkdir()
    with override_settings(LOCALE_PATHS=[root / "locale"]):
        previous = Path.cwd()
        try:
            os.chdir(root)
            call_command("makemessages", locale=["en"], keep_pot=True, verbosity=0)
        finally:
            os.chdir(previous)
    return [entry for entry in polib.pofile(str(root / "locale" / "django.pot")) if entry.msgid]


# --- the English catalogue is complete ---------------------------------------------


def test_the_extraction_finds_the_projects_strings(extracted):
    # A broken extraction (nothing found) must not pass the completeness test.
    msgids = {entry.msgid for entry in extracted}
    assert {"诉求工作台", "用户名", "企通"} <= msgids
    assert len(msgids) > 500


def test_every_string_of_the_source_has_its_english(extracted):
    catalogue = {_key(entry): entry for entry in polib.pofile(str(CATALOGUES["en"]))}
    missing = []
    for entry in extracted:
        english = catalogue.get(_key(entry))
        if english is None or english.fuzzy or not english.translated():
            where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
            missing.append(f"{entry.msgid!r} ({where})")
    assert not missing, (
        f"{len(missing)} strings have no English; run scripts/translations.sh and translate them:\n"
        + "\n".join(missing)
    )


def test_no_english_translation_is_left_in_chinese():
    # Chinese may appear only as a word quoted from the msgid (e.g. a column
    # header the program accepts literally), never as untranslated text.
    chinese = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")
    left = []
    for entry in polib.pofile(str(CATALOGUES["en"])):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            runs = chinese.findall(text)
            if sum(map(len, runs)) > 4 or any(run not in entry.msgid for run in runs):
                left.append(f"{entry.msgid!r} -> {text!r}")
    assert not left, "\n".join(left)


# --- strings makemessages cannot see ----------------------------------------------------

# The names xgettext is told to look for (its Python defaults and Django's additions).
XGETTEXT_KEYWORDS = {
    "_",
    "gettext",
    "ngettext",
    "dgettext",
    "dngettext",
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy",
    "pgettext",
    "npgettext",
    "pgettext_lazy",
    "npgettext_lazy",
}
GETTEXT_FUNCTIONS = XGETTEXT_KEYWORDS - {"_", "dgettext", "dngettext"}


def _aliases(tree):
    """Names a module binds to a gettext function other than the names xgettext knows."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            aliases.update(
                alias.asname
                for alias in node.names
                if alias.name in GETTEXT_FUNCTIONS
                and alias.asname not in (None, *XGETTEXT_KEYWORDS)
            )
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id in GETTEXT_FUNCTIONS
        ):
            aliases.update(
                target.id
                for target in node.targets
                if isinstance(target, ast.Name) and target.id not in XGETTEXT_KEYWORDS
            )
    return aliases


def test_no_string_is_marked_through_a_name_makemessages_does_not_know():
    # ``L = gettext_lazy; L("受理")`` translates at run time, but xgettext only
    # looks for the names above, so the string never reaches the catalogue.
    hidden = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _aliases(tree)
        hidden.extend(
            f"{path.relative_to(SOURCE)}:{node.lineno}: {node.func.id}(...)"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in aliases
        )
    assert not hidden, (
        "call gettext_lazy (or import it as _) so makemessages finds these strings:\n"
        + "\n".join(hidden)
    )


TRANSLATED_IN_TEMPLATES = [
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*trans(?:late)?\s.*?%\}", re.S),
    re.compile(r"""_\((?:"[^"]*"|'[^']*')\)"""),
]


def test_no_chinese_in_a_template_outside_translation_tags():
    # A Chinese word or mark (（）、：) written straight into the markup shows
    # on the English pages too: it belongs inside {% translate %} or
    # {% blocktranslate %} with the values it surrounds.
    chinese = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
    bare = []
    for path in sorted(SOURCE.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in TRANSLATED_IN_TEMPLATES:
            text = pattern.sub("", text)
        bare.extend(
            f"{path.relative_to(SOURCE)}: {line.strip()[:120]}"
            for line in text.splitlines()
            if chinese.search(line)
        )
    assert not bare, "\n".join(bare)


def test_every_page_skeleton_names_the_active_language():
    fixed = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.html")
        if "<html" in (text := path.read_text(encoding="utf-8"))
        and '<html lang="{{ LANGUAGE_CODE }}"' not in text
    ]
    assert not fixed, "use {% get_current_language as LANGUAGE_CODE %}: " + ", ".join(fixed)


# --- placeholders ----------------------------------------------------------------------

PLACEHOLDER = re.compile(
    r"%%|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|\{\w*\}"
)


def _placeholders(text):
    return Counter(PLACEHOLDER.findall(text))


def test_the_placeholder_pattern_tells_them_apart():
    assert _placeholders("第 %(n)d 行：%(value)s，{value} 100%%") == Counter(
        ["%(n)d", "%(value)s", "{value}", "%%"]
    )
    assert _placeholders("%(first)02d～%(last)02d") != _placeholders("%(first)d～%(last)d")


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_each_translation_keeps_the_placeholders_of_its_msgid(language):
    wrong = []
    for entry in polib.pofile(str(CATALOGUES[language])):
        if not entry.translated():
            continue
        if entry.msgid_plural:
            # The singular form may spell the count out; every form keeps the names.
            expected = _placeholders(entry.msgid_plural)
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        else:
            expected = _placeholders(entry.msgid)
            pairs = [(entry.msgid, entry.msgstr)]
        for msgid, text in pairs:
            if _placeholders(text) != expected:
                wrong.append(f"{msgid!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


# --- the committed .mo is the compiled .po --------------------------------------------


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_the_committed_mo_is_the_compiled_po(language, tmp_path):
    po = polib.pofile(str(CATALOGUES[language]))
    compiled = tmp_path / "django.mo"
    po.save_as_mofile(str(compiled))
    committed = polib.mofile(str(CATALOGUES[language].with_suffix(".mo")))

    assert _messages(committed) == _messages(polib.mofile(str(compiled)))
    assert _messages(committed) == _messages(po)
    assert committed.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


# --- Chinese for third-party strings ------------------------------------------------------


def _in_chinese_catalogue(entry, catalog=None):
    if catalog is None:
        catalog = trans_real.translation("zh-hans")._catalog
    msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
    return (msgid, 0) in catalog if entry.msgid_plural else msgid in catalog


def _reference_entries(package_dir):
    """The msgids a package's own English catalogue lists (its source strings)."""
    english = package_dir / "locale" / "en" / "LC_MESSAGES"
    if (english / "django.po").exists():
        return polib.pofile(str(english / "django.po"))
    return polib.mofile(str(english / "django.mo"))


def test_django_and_drf_strings_in_use_have_chinese():
    import django
    import rest_framework

    django_dir = Path(django.__file__).parent
    packages = [django_dir / "conf", Path(rest_framework.__file__).parent] + [
        django_dir / "contrib" / app for app in ("admin", "auth", "contenttypes", "sessions")
    ]
    missing = [
        f"{package.name}: {entry.msgid!r}"
        for package in packages
        for entry in _reference_entries(package)
        if entry.msgid and not entry.obsolete and not _in_chinese_catalogue(entry)
    ]
    assert not missing, "add them to locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n".join(missing)


def test_the_admins_javascript_strings_have_chinese():
    # What the admin's /admin/jsi18n/ serves: Django's catalogue of the admin's
    # JavaScript, with ours (LOCALE_PATHS) merged over it.
    import django.contrib.admin

    admin_dir = Path(django.contrib.admin.__file__).parent
    catalog = trans_real.DjangoTranslation(
        "zh-hans", domain="djangojs", localedirs=[admin_dir / "locale"]
    )._catalog
    english = polib.pofile(str(admin_dir / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"))
    missing = [
        entry.msgid
        for entry in english
        if entry.msgid and not entry.obsolete and not _in_chinese_catalogue(entry, catalog)
    ]
    assert not missing, "add them to locale/zh_Hans/LC_MESSAGES/djangojs.po:\n" + "\n".join(missing)


@needs_gettext
def test_django_axes_strings_have_chinese(tmp_path):
    import axes

    sources = sorted(
        str(path)
        for path in Path(axes.__file__).parent.rglob("*.py")
        if "migrations" not in path.parts
    )
    pot = tmp_path / "axes.pot"
    keywords = ["gettext_lazy", "gettext_noop", "ngettext_lazy:1,2", "pgettext_lazy:1c,2"]
    subprocess.run(
        ["xgettext", "-L", "Python", "--from-code=UTF-8", "-o", str(pot)]
        + [f"--keyword={keyword}" for keyword in keywords]
        + sources,
        check=True,
    )
    entries = [entry for entry in polib.pofile(str(pot)) if entry.msgid]
    assert any(entry.msgid.startswith("Account locked") for entry in entries)
    missing = [entry.msgid for entry in entries if not _in_chinese_catalogue(entry)]
    assert not missing, "add them to locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n".join(missing)


# --- the languages on offer ------------------------------------------------------------


def test_language_list_defaults_to_chinese_alone(monkeypatch):
    monkeypatch.delenv("QITONG_LANGUAGES", raising=False)
    assert env.language_list("QITONG_LANGUAGES", known=["zh-hans", "en"], required="zh-hans") == [
        "zh-hans"
    ]
    monkeypatch.setenv("QITONG_LANGUAGES", "  ")
    assert env.language_list("QITONG_LANGUAGES", known=["zh-hans", "en"], required="zh-hans") == [
        "zh-hans"
    ]


@pytest.mark.parametrize("value", ["zh-hans,en", "EN, zh-hans", "zh-hans,en,en"])
def test_language_list_puts_chinese_first(monkeypatch, value):
    monkeypatch.setenv("QITONG_LANGUAGES", value)
    assert env.language_list("QITONG_LANGUAGES", known=["zh-hans", "en"], required="zh-hans") == [
        "zh-hans",
        "en",
    ]


@pytest.mark.parametrize(("value", "words"), [("zh-hans,fr", "'fr'"), ("en", "必须包含 zh-hans")])
def test_language_list_refuses_what_it_cannot_serve(monkeypatch, value, words):
    monkeypatch.setenv("QITONG_LANGUAGES", value)
    with pytest.raises(ImproperlyConfigured) as caught:
        env.language_list("QITONG_LANGUAGES", known=["zh-hans", "en"], required="zh-hans")
    assert "QITONG_LANGUAGES" in str(caught.value)
    assert words in str(caught.value)


def _languages_of_an_installation(tmp_path, value):
    """LANGUAGES as a fresh process reads it from QITONG_LANGUAGES."""
    environ = {key: val for key, val in os.environ.items() if not key.startswith("QITONG_")}
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    environ.update(
        QITONG_DATA_DIR=str(tmp_path / "data"),
        QITONG_SECRET_KEY="k" * 40,
        QITONG_LANGUAGES=value,
    )
    script = "from django.conf import settings; print([code for code, _ in settings.LANGUAGES])"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("qitong")), "shell", "-c", script],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode:
        return result.returncode, result.stdout + result.stderr
    # The shell may first say what it imported; the answer is the last line.
    return 0, result.stdout.strip().splitlines()[-1]


def test_an_installation_reads_its_languages_from_the_environment(tmp_path):
    assert _languages_of_an_installation(tmp_path, "") == (0, "['zh-hans']")
    assert _languages_of_an_installation(tmp_path, "zh-hans,en") == (0, "['zh-hans', 'en']")
    code, output = _languages_of_an_installation(tmp_path, "en")
    assert code != 0
    assert "QITONG_LANGUAGES" in output


def _login_error(client, accept_language):
    response = client.post(
        "/login/",
        {"username": "nobody", "password": "wrong-password"},
        HTTP_ACCEPT_LANGUAGE=accept_language,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_chinese_by_default(client):
    page = _login_error(client, "en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in page
    assert "请输入一个正确的" in page
    assert "Please enter a correct" not in page


@pytest.mark.django_db
def test_with_english_on_a_browser_asking_for_it_gets_english(client):
    with override_settings(LANGUAGES=ENGLISH_TOO):
        page = _login_error(client, "en-US,en;q=0.9")
        assert '<html lang="en">' in page
        assert "Please enter a correct username and password" in page
        assert "用户名" not in page
        # A browser that prefers Chinese still gets Chinese.
        assert "请输入一个正确的" in _login_error(client, "zh-CN,zh;q=0.9,en;q=0.5")
    translation.activate("zh-hans")
