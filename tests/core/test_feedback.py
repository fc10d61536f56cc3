"""One line of Chinese for a refused action, whatever raised it (``core.feedback.refusal``)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.core.errors import Conflict
from qitong.core.feedback import refusal


def test_a_conflict_says_its_own_message():
    assert refusal(Conflict("该诉求已办结。", "archived")) == "该诉求已办结。"


def test_a_right_refused_says_the_actions_words_then_the_pages_then_a_general_line():
    assert refusal(PermissionDenied("您无权关联这两件诉求。"), forbidden="页面") == (
        "您无权关联这两件诉求。"
    )
    assert refusal(PermissionDenied(), forbidden="您无权修改该企业的信息。") == (
        "您无权修改该企业的信息。"
    )
    assert refusal(PermissionDenied()) == "您无权执行此操作。"


def test_bad_input_names_its_fields_by_their_labels():
    exc = ValidationError({"reason": ["不能为空。"], "other": ["不对。", "太长。"]})
    assert refusal(exc, {"reason": "理由"}) == "理由：不能为空。；不对。；太长。"
    assert refusal(ValidationError(["日期不对。", "太早。"])) == "日期不对。；太早。"


def test_serializer_errors_read_like_a_forms():
    assert refusal({"lead_unit": ["请选择。"]}, {"lead_unit": "牵头单位"}) == "牵头单位：请选择。"


@pytest.mark.parametrize("labels", [None, {}])
def test_a_field_without_a_label_shows_only_its_message(labels):
    assert refusal(ValidationError({"x": ["错误。"]}), labels) == "错误。"
