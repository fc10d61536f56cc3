"""The whole appeal loop in a real browser, across roles, with a screenshot of each workbench.

Screenshots land in var/screenshots/ for review.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from qitong.appeals import actions, figures, sweep
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.demo.city import DEMO_PASSWORD, load_demo_city
from qitong.enterprises.models import Enterprise
from qitong.orgs.models import User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHOTS = Path.cwd() / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_city(transactional_db):
    load_demo_city()


@pytest.fixture
def as_role(browser, live_server, browser_context_args):
    """A logged-in page per username, each in its own browser context."""
    contexts = []

    def open_as(username, viewport=DESKTOP):
        context = browser.new_context(**{**browser_context_args, "viewport": viewport})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/(portal|office|unit|leader|admin)/.*"))
        return page

    yield open_as
    for context in contexts:
        context.close()


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => el.getAttribute('aria-hidden') !== 'true')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.innerText.trim())
                && !el.closest('fieldset')?.querySelector('legend'))
  .map(el => el.outerHTML.slice(0, 120))"""


# WCAG 2.1 AA: text contrast at least 4.5:1, or 3:1 when large (24px, or bold and 18.66px);
# backgrounds are composited up the tree over white. Text drawn in canvas (charts) is not DOM text.
LOW_CONTRAST = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const over = (c, base) => ({r: c.r * c.a + base.r * (1 - c.a), g: c.g * c.a + base.g * (1 - c.a),
                              b: c.b * c.a + base.b * (1 - c.a), a: 1});
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    return layers.reverse().reduce((base, c) => over(c, base), {r: 255, g: 255, b: 255, a: 1}); };
  const found = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const text = walker.currentNode.textContent.trim(); const el = walker.currentNode.parentElement;
    if (!text || !el || el.closest('option, script, style, [aria-hidden=true]')) continue;
    const style = getComputedStyle(el); const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    const back = background(el); const fore = over(parse(style.color), back);
    const [light, dark] = [luminance(fore), luminance(back)].sort((x, y) => y - x);
    const ratio = (light + 0.05) / (dark + 0.05); const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) found.push(`${text.slice(0, 24)} (${ratio.toFixed(2)}:1)`); }
  return [...new Set(found)]; }"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shot(page, name):
    """Save a screenshot for review; check labels, text contrast, and no sideways scrolling."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate(UNLABELLED) == [], f"controls without a label on {name}"
    assert page.evaluate(LOW_CONTRAST) == [], f"text with too little contrast on {name}"
    assert page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at {page.viewport_size}"


def act(page, form_name, fields=None):
    """Fill and submit one action form of the case page, found by its accessible name."""
    form = page.get_by_role("form", name=form_name, exact=True)
    for label, value in (fields or {}).items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=form_name, exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已完成")


def test_an_appeal_goes_round_the_whole_loop(as_role, live_server, demo_city):
    leader = as_role("leader")
    received_before = int(leader.locator('a[data-kind="received"]').get_attribute("data-count"))

    enterprise = as_role("enterprise", PHONE)
    enterprise.goto(f"{live_server.url}/portal/new/")
    enterprise.get_by_label("诉求分类").select_option(label="用电")
    enterprise.get_by_label("标题").fill("新厂房用电增容审批缓慢")
    enterprise.get_by_label("具体内容").fill(
        "新厂房需要增容 2000 千伏安，申请两个月仍未批复，影响投产。"
    )
    shot(enterprise, "enterprise-file-phone")
    enterprise.get_by_role("button", name="提交诉求").click()
    expect(enterprise.get_by_role("status").first).to_contain_text("诉求已提交")
    # The demo city files a few appeals of its own (visits, projects): find this one by title.
    appeal = Appeal.objects.get(title="新厂房用电增容审批缓慢")
    case_url = f"{live_server.url}/appeals/{appeal.pk}/"

    office = as_role("office")
    expect(office.get_by_role("link", name=appeal.number, exact=True)).to_be_visible()
    shot(office, "office-workbench")
    office.goto(case_url)
    act(office, "受理")
    office.get_by_role("link", name="派单").click()
    office.get_by_label("转交办理").check()
    office.get_by_label("牵头单位").select_option(value="power")
    expect(office.locator("#dispatch-preview")).to_contain_text("办结")
    shot(office, "office-triage")
    office.get_by_role("button", name="确认派单").click()
    office.wait_for_url(re.compile(r".*/appeals/\d+/.*"))

    clerk_unit = User.objects.filter(unit__code="power").exists()
    if not clerk_unit:  # the demo city has no account at the power company: add one
        User.objects.create_user(
            "power",
            password=DEMO_PASSWORD,
            role=User.Role.UNIT,
            unit=appeal.office.__class__.objects.get(code="power"),
        )
    unit = as_role("power")
    shot(unit, "unit-workbench")
    unit.get_by_role("button", name=f"签收 {appeal.number}").click()
    expect(unit.get_by_role("status").first).to_contain_text("已完成：签收")
    unit.goto(case_url)
    act(unit, "联系企业", {"联系情况": "已电话联系企业负责人。"})
    act(unit, "答复企业", {"答复内容": "已安排现场勘查，三个工作日内出具方案。"})
    act(unit, "办结", {"办理结果": "已完成增容，企业已确认。"})
    shot(unit, "unit-case")

    office.goto(case_url)
    act(office, "审核通过")

    enterprise.goto(case_url)
    rating = enterprise.get_by_role("form", name="企业评价")
    rating.get_by_role("group", name="对办理过程").get_by_label("满意", exact=True).check()
    rating.get_by_role("group", name="对办理结果").get_by_label("满意", exact=True).check()
    rating.get_by_role("button", name="企业评价").click()
    expect(enterprise.get_by_role("status").first).to_contain_text("已完成")
    shot(enterprise, "enterprise-case-phone")
    enterprise.goto(f"{live_server.url}/portal/")
    shot(enterprise, "enterprise-portal-phone")
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.ARCHIVED

    figures.refresh_snapshots()  # the periodic job recounts the month
    leader.reload()
    assert (
        int(leader.locator('a[data-kind="received"]').get_attribute("data-count"))
        == received_before + 1
    )
    expect(leader.locator('a[data-kind="resolve_late"] .number').first).to_have_text("100.0%")
    shot(leader, "leader-cockpit")


def _dispatched(lead, *, at):
    enterprise = Enterprise.objects.order_by("id").first()
    office = User.objects.get(username="office")
    appeal, _created = actions.file_appeal(
        acting_user=office,
        enterprise=enterprise,
        title="排污许可证延续办理",
        content="许可证即将到期。",
        channel="hotline12345",
        at=at,
    )
    actions.accept(appeal, acting_user=office, at=at)
    return actions.dispatch(appeal, acting_user=office, at=at, mode="transfer", lead_unit=lead)


def test_a_misrouted_case_goes_back_to_the_office(as_role, live_server, demo_city):
    appeal = _dispatched("gxj", at=clock.now())
    unit = as_role("gxj")
    unit.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    act(unit, "退回", {"理由": "排污许可属于生态环境局职责。"})
    office = as_role("office")
    office.goto(f"{live_server.url}/office/queues/?queue=accepted")
    expect(office.get_by_role("link", name=appeal.number, exact=True)).to_be_visible()
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.ACCEPTED


def test_an_overdue_case_is_supervised_escalated_and_shown_to_the_office_and_the_leader(
    as_role, live_server, demo_city
):
    start = clock.now()
    appeal = _dispatched("fgw", at=start)
    with time_machine.travel(start + dt.timedelta(days=6), tick=True):
        sweep.run(clock.now())
        appeal.refresh_from_db()
        assert appeal.escalation_level >= 1
        office = as_role("office")
        office.goto(f"{live_server.url}/office/queues/?queue=overdue")
        expect(office.get_by_role("link", name=appeal.number, exact=True)).to_be_visible()
        shot(office, "office-overdue")
        office.goto(f"{live_server.url}/appeals/{appeal.pk}/")
        expect(office.get_by_text("已超期").first).to_be_visible()
        leader = as_role("leader")
        assert int(leader.locator('a[data-kind="overdue_now"]').get_attribute("data-count")) == 1
