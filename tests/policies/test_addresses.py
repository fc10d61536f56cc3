"""One page, whatever form its address is written in."""

import pytest

from qitong.policies.addresses import absolute, canonical


@pytest.mark.parametrize(
    "form",
    [
        "http://www.jinan.gov.cn/art/2024/5/1/art_1.html",
        "https://www.jinan.gov.cn/art/2024/5/1/art_1.html",
        "http://WWW.Jinan.gov.cn:80/art/2024/5/1/art_1.html",
        "https://www.jinan.gov.cn:443/art/2024/5/1/art_1.html#top",
        "http://www.jinan.gov.cn/art/2024/5/1/art_1.html/",
        "http://www.jinan.gov.cn/art/2024/5/./1/art_1.html",
        "http://www.jinan.gov.cn/art/2024/5/1/art_1.html?utm_source=weixin",
    ],
)
def test_every_form_of_an_address_is_one_page(form):
    assert canonical(form) == "//www.jinan.gov.cn/art/2024/5/1/art_1.html"


def test_query_order_does_not_matter_but_values_do():
    assert canonical("http://a.gov.cn/list?page=2&id=7") == canonical(
        "http://a.gov.cn/list?id=7&page=2"
    )
    assert canonical("http://a.gov.cn/list?page=2") != canonical("http://a.gov.cn/list?page=3")


def test_another_port_is_another_site():
    assert canonical("http://a.gov.cn:8080/x") != canonical("http://a.gov.cn/x")


def test_non_web_links_are_not_followed():
    assert absolute("http://a.gov.cn/list/", "javascript:void(0)") is None
    assert absolute("http://a.gov.cn/list/", "mailto:x@a.gov.cn") is None
    assert absolute("http://a.gov.cn/list/", "../doc/1.html#p") == "http://a.gov.cn/doc/1.html"
    with pytest.raises(ValueError):
        canonical("ftp://a.gov.cn/x")
