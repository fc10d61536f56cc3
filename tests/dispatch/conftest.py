"""The appeal loop's city with a history of dispatched cases, written by the real actions."""

import random

import pytest

from tests.appeals.conftest import City, at

WHEN = at("2026-03-02 09:00")
# Each unit's own words; a case's text mixes a few of them with common words.
TOPICS = {
    "fgw": ["用电增容", "变压器", "供电线路", "电费", "停电", "配电房", "电力接入"],
    "zjj": ["施工许可", "房屋建设", "工程验收", "建筑工地", "商品房", "物业管理", "规划审批"],
    "gxj": ["技术改造", "设备补贴", "数字化转型", "工业互联网", "智能制造", "专精特新", "生产线"],
}
COMMON = ["企业", "反映", "希望", "尽快", "解决", "问题", "办理", "相关部门", "我公司", "申请"]


def topic_text(unit, rng):
    words = rng.sample(TOPICS[unit], 3) + rng.sample(COMMON, 4)
    rng.shuffle(words)
    return "，".join(words) + "。"


class HistoryCity(City):
    def history(self, per_unit=12, seed=7):
        """``per_unit`` dispatched cases per unit of ``TOPICS``, texts drawn from its words."""
        rng = random.Random(seed)
        cases = []
        for unit in TOPICS:
            for _ in range(per_unit):
                text = topic_text(unit, rng)
                cases.append(self.dispatched(when=WHEN, lead=unit, title=text[:20], content=text))
        return cases


@pytest.fixture
def city(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return HistoryCity()
