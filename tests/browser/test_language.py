"""One language per page, in a browser that asks for English.

By default the platform speaks Chinese whatever the browser asks, Django's,
DRF's and django-axes' words included; with English turned on
(``QITONG_LANGUAGES=zh-hans,en``, here the ``LANGUAGES`` setting, which the live
server shares with the test), the same pages are English throughout, except
for data such as the demo city's names.
"""

import re

import pytest
from django.apps import apps
from django.db import models

from qitong.appeals.models import Appeal
from qitong.demo.city import DEMO_PASSWORD, load_demo_city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ENGLISH_BROWSER = {
    "locale": "en-US",
    "extra_http_headers": {"Accept-Language": "en-US,en;q=0.9"},
}
ENGLISH_TOO = [("zh-hans", "简体中文"), ("en", "English")]
CHINESE = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
# Two English words in a row: a sentence or label from Django, DRF or axes.
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}[ ,.:;'’-]+[A-Za-z]{2,}\b")

# Everything the page says: its text, its title, and the words of its
# attributes that a screen reader or a hover shows.
PAGE_WORDS = """() => [document.title, document.body.innerText,
  ...[...document.querySelectorAll('[placeholder], [title], [aria-label], [alt], input[type=submit], option')]
    .flatMap(el => [el.getAttribute('placeholder'), el.getAttribute('title'),
                    el.getAttribute('aria-label'), el.getAttribute('alt'),
                    el.tagName === 'OPTION' ? el.textContent : el.getAttribute('value')])
    .filter(Boolean)].join('\\n')"""


@pytest.fixture
def demo_city(transactional_db):
    # Cases at every stage, so the workbench and the case page show their words.
    load_demo_city(appeals=20)


@pytest.fixture
def english_browser(browser, browser_context_args):
    """A browser context whose user prefers English."""
    context = browser.new_context(**{**browser_context_args, **ENGLISH_BROWSER})
    yield context
    context.close()


@pytest.fixture
def english_on(settings):
    """English offered, as QITONG_LANGUAGES=zh-hans,en does; the live server runs in this process."""
    settings.LANGUAGES = ENGLISH_TOO


def _data_words():
    """Every Chinese text stored in the database (names, titles, ...): data, not interface."""
    words = set()
    for model in apps.get_app_configs():
        if not model.name.startswith("qitong."):
            continue
        for table in model.get_models():
            fields = [
                field.name
                for field in table._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField) and not field.choices
            ]
            for row in table.objects.values_list(*fields) if fields else []:
                words.update(value for value in row if value and CHINESE.search(value))
    return sorted(words, key=len, reverse=True)


def _case_in_progress():
    return Appeal.objects.filter(status=Appeal.Status.IN_PROGRESS).order_by("pk").first().pk


def _words_of(page):
    return page.evaluate(PAGE_WORDS)


def _without_data(text, data):
    for word in data:
        text = text.replace(word, " ")
    return text


def _log_in(page, live_server, username, password, button):
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=button).click()


def _chinese_only(page):
    """The page speaks Chinese: its language says so, and no English sentence shows."""
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    text = _words_of(page)
    assert CHINESE.search(text)
    assert ENGLISH_WORDS.findall(text) == [], page.url


def _english_only(page, data):
    """The page speaks English: nothing Chinese is left once the data is taken out."""
    assert page.locator("html").get_attribute("lang") == "en"
    left = CHINESE.findall(_without_data(_words_of(page), data))
    assert left == [], f"{page.url}: {''.join(left)}"


def test_a_browser_asking_for_english_gets_chinese_pages(english_browser, live_server, demo_city):
    page = english_browser.new_page()
    _log_in(page, live_server, "office", "wrong-password", "登录")
    assert page.get_by_role("alert").inner_text().startswith("请输入一个正确的")
    _chinese_only(page)

    _log_in(page, live_server, "office", DEMO_PASSWORD, "登录")
    page.wait_for_url(f"{live_server.url}/office/queues/")
    assert page.get_by_role("heading", name="诉求工作台").is_visible()
    _chinese_only(page)

    # A date the form cannot read: Django's own message, in Chinese.
    page.goto(f"{live_server.url}/office/queues/?submitted_from=2026-02-30")
    assert "输入一个有效的日期" in page.locator("main").inner_text()
    _chinese_only(page)

    page.goto(f"{live_server.url}/appeals/{_case_in_progress()}/")
    assert page.get_by_role("heading", name="办理过程").is_visible()
    _chinese_only(page)

    enterprise = english_browser.new_page()
    english_browser.clear_cookies()
    _log_in(enterprise, live_server, "enterprise", DEMO_PASSWORD, "登录")
    enterprise.wait_for_url(f"{live_server.url}/portal/")
    enterprise.goto(f"{live_server.url}/portal/new/")
    enterprise.get_by_role("button", name="提交诉求").click()
    assert enterprise.get_by_role("alert").inner_text().startswith("诉求尚未提交")
    assert "请填写标题" in enterprise.locator("main").inner_text()
    _chinese_only(enterprise)


def test_with_english_on_the_same_pages_are_english(
    english_browser, live_server, demo_city, english_on
):
    data = _data_words()
    page = english_browser.new_page()
    _log_in(page, live_server, "office", "wrong-password", "Log in")
    assert (
        page.get_by_role("alert")
        .inner_text()
        .startswith("Please enter a correct username and password")
    )
    _english_only(page, data)

    _log_in(page, live_server, "office", DEMO_PASSWORD, "Log in")
    page.wait_for_url(f"{live_server.url}/office/queues/")
    assert page.get_by_role("heading", name="Appeal workbench").is_visible()
    _english_only(page, data)

    page.goto(f"{live_server.url}/office/queues/?submitted_from=2026-02-30")
    assert "Enter a valid date" in page.locator("main").inner_text()
    _english_only(page, data)

    page.goto(f"{live_server.url}/appeals/{_case_in_progress()}/")
    assert page.get_by_role("heading", name="Handling history").is_visible()
    _english_only(page, data)

    enterprise = english_browser.new_page()
    english_browser.clear_cookies()
    _log_in(enterprise, live_server, "enterprise", DEMO_PASSWORD, "Log in")
    enterprise.wait_for_url(f"{live_server.url}/portal/")
    _english_only(enterprise, data)
    enterprise.goto(f"{live_server.url}/portal/new/")
    enterprise.get_by_role("button", name="Submit an appeal").click()
    assert (
        enterprise.get_by_role("alert").inner_text().startswith("The appeal has not been submitted")
    )
    assert "Enter a title." in enterprise.locator("main").inner_text()
    _english_only(enterprise, data)
