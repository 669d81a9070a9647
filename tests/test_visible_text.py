"""The checker of tests/test_menus.py finds English in a Chinese page, and only there."""

from tests.visible_text import english_on_page, leftovers_on_page, visible_texts

PAGE = """<!doctype html><html><head><title>{title}</title>
<style>.x {{ color: red }}</style><script>var label = "English in a script";</script></head>
<body><nav><button lang="en">English</button></nav>
<main class="container" data-note="an attribute nobody sees">
<h1>{heading}</h1><p>网格 GL-01-02 · 导出 XLSX · 330106********123X · gl-01-01-01-a</p>
<input type="search" placeholder="{placeholder}"><select><option>{option}</option></select>
<a href="/x/" aria-label="{label}">查看</a><img src="/a.png" alt="照片"><br>
</main></body></html>"""
CHINESE = {
    "title": "首页",
    "heading": "事件",
    "placeholder": "姓名或地址",
    "option": "登记时间（降序）",
    "label": "打开",
}


def page(**changes):
    return PAGE.format(**{**CHINESE, **changes})


def test_a_chinese_page_has_no_english():
    assert english_on_page(page()) == {}
    assert leftovers_on_page(page(), "/register/floating/") == []


def test_english_in_a_heading_fails():
    assert english_on_page(page(heading="事件 Incidents")) == {"事件 Incidents": ["Incidents"]}


def test_english_in_an_option_a_placeholder_an_aria_label_or_the_title_fails():
    for field in ("option", "placeholder", "label", "title"):
        found = english_on_page(page(**{field: "Filed (descending)"}))
        assert found == {"Filed (descending)": ["Filed", "descending"]}, field


def test_scripts_styles_hidden_attributes_and_the_english_switch_are_not_read():
    texts = visible_texts(page())
    assert "English" not in texts
    assert not any("script" in text or "color" in text or "attribute" in text for text in texts)


def test_data_words_are_allowed_only_when_named():
    html = page(heading="区 · GL")
    assert english_on_page(html) == {"区 · GL": ["GL"]}
    assert english_on_page(html, data={"GL"}) == {}


def test_the_issue_leftovers_are_found():
    html = page(heading="三坊社区第8网格: 1 missed patrol windows since 2026-11-30")
    assert leftovers_on_page(html) == ["missed patrol window"]
    assert leftovers_on_page(page(option="登记时间 (descending)")) == ["(descending)"]
    assert leftovers_on_page(page(option="名称")) == []
    assert leftovers_on_page(page(option="名称"), "/register/floating/") == ["名称"]
