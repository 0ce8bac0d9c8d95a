"""Failure shapes of real news pages, each reproduced by a small page written for the tests (tests/data/pages):
body containers with boilerplate-sounding class names, a lone p#summary body, comment-board rules and hotlines,
control characters, broken and nested markup, legacy Chinese encodings that disagree with their declaration."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from articleqa.settings import Settings
from eval.clean_score import char_f1
from ingest.clean_document import clean_document
from ingest.clean_html import clean_plain
from ingest.loaders import read_text
from ingest.page_candidates import best_container, class_factor

PAGES = Path(__file__).parent / "data" / "pages"


def _page(name: str) -> str:
    return (PAGES / f"{name}.html").read_text(encoding="utf-8")


def _gold(name: str) -> str:
    return (PAGES / f"{name}.gold.txt").read_text(encoding="utf-8")


def _no_fallback(res) -> None:
    assert res.extractor.startswith("dom"), res.extractor
    assert not [w for w, _ in res.dropped if w.startswith("fallback")]


@pytest.mark.parametrize("name,junk", [
    ("trs_editor", ["责任编辑", "相关新闻", "分享到", "老旧小区加装电梯补贴", "版权所有", "当前位置"]),
    ("sidebar_layout", ["Most popular", "Flood warning", "newsletter", "All rights reserved", "By Maria"]),
    ("lone_summary", ["粉絲團", "資料照片", "App", "颱風假", "人氣", "最小字型", "版權所有"]),
    ("comment_board", ["请遵守", "本网站", "网友评论", "新闻热线", "举报电话", "热点新闻", "责任编辑", "来源："]),
])
def test_failure_shape_pages(name, junk):
    res = clean_document(_page(name), "html")
    _no_fallback(res)
    gold = _gold(name)
    assert char_f1(res.body, gold) >= 0.98, res.paragraphs
    paras = [p.strip() for p in gold.split("\n\n") if p.strip()]
    assert res.paragraphs[0] == paras[0] and res.paragraphs[-1] == paras[-1]
    for j in junk:
        assert j not in res.body, j


def test_metadata_of_an_info_line():
    res = clean_document(_page("comment_board"), "html")
    assert res.title == "夏粮收购进度过半 主产区收购价格总体平稳"
    assert (res.date, res.source, res.author) == ("2023-07-05 10:12:36", "示例新闻网", "李晓东")


@pytest.mark.parametrize("cls", ["sidebar comments", "l-sidebar-fixed", "footer-editor", "related_news"])
def test_a_dense_body_wins_over_its_class_name(cls):
    html = _page("trs_editor").replace('class="TRS_Editor"', f'class="{cls}"')
    res = clean_document(html, "html")
    assert char_f1(res.body, _gold("trs_editor")) >= 0.98


def test_class_words_are_weak_evidence():
    import lxml.html

    doc = lxml.html.document_fromstring(
        "<html><body><div class='article-content'><a href='/1'>Home</a> <a href='/2'>World</a> <a>Business</a> "
        "<a>Culture</a> <a>Travel</a></div>"
        "<div class='sidebar'><p>The committee met on Monday, and it approved the plan after a long debate.</p>"
        "<p>Work on the new bridge will start in spring, officials said.</p></div></body></html>")
    best = best_container(doc)
    assert best is not None and best.el.get("class") == "sidebar"
    assert 0.8 < class_factor(best.el) < 1.0
    assert 1.0 < class_factor(doc.find(".//div")) < 1.2


def test_control_characters_never_crash():
    html = _page("trs_editor")
    html = html.replace("记者从", "记\x01者\x0b从\x0c").replace("根据", "根\x1b据&#1;&#x7f;\x7f\x85")
    res = clean_document(html, "html")
    _no_fallback(res)
    assert char_f1(res.body, _gold("trs_editor")) >= 0.98
    assert not any(c in res.body for c in "\x01\x0b\x0c\x1b\x7f\x85")


def test_two_section_labels_in_one_box():
    """The old cleaner raised AssertionError: the second label's box had been dropped with the first."""
    html = _page("trs_editor").replace(
        '<div class="related"><h3>相关新闻</h3>', '<div class="box"><h3>相关新闻</h3><h3>热门推荐</h3>')
    res = clean_document(html, "html")
    _no_fallback(res)
    assert char_f1(res.body, _gold("trs_editor")) >= 0.98


@pytest.mark.parametrize("mangle", [
    lambda h: h.replace("</p>", ""),  # unclosed paragraphs
    lambda h: h.replace("</div>", "", 3),  # unclosed containers
    lambda h: h.replace('<div class="TRS_Editor">', '<div class="TRS_Editor"><div class="TRS_Editor">'),
    lambda h: h.replace("<body>", "<body><table><tr><td>").replace("</body>", "</td></tr></table></body>"),
    lambda h: "<?xml version='1.0' encoding='gb2312'?>" + h,
    lambda h: h.replace("<html>", "<html><html><body><body>"),
])
def test_broken_and_nested_markup(mangle):
    res = clean_document(mangle(_page("trs_editor")), "html")
    _no_fallback(res)
    assert char_f1(res.body, _gold("trs_editor")) >= 0.95


def test_duplicated_container_keeps_the_body():
    html = _page("sidebar_layout")
    start, end = html.index('<div class="article__content">'), html.index('<div class="l-sidebar">')
    res = clean_document(html[:end] + html[start:end] + html[end:], "html")
    _no_fallback(res)
    for p in _gold("sidebar_layout").split("\n\n"):
        assert p.strip() in res.paragraphs


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>", "<!-- only a comment -->", "<p>", "\x00\x01"])
def test_empty_pages(html):
    res = clean_document(html, "html")
    assert res.paragraphs == [] and res.extractor


def test_huge_page():
    para = "<p>市政府今天召开新闻发布会，介绍今年以来经济运行情况，各项指标总体平稳，就业形势保持稳定。</p>"
    nav = "<ul>" + "<li><a href='/x'>导航链接</a></li>" * 5000 + "</ul>"
    html = f"<html><body>{nav}<div class='content'>{para * 3000}</div>{nav}</body></html>"  # about 1.5 MB
    t0 = time.perf_counter()
    res = clean_document(html, "html")
    assert time.perf_counter() - t0 < 60
    _no_fallback(res)
    assert len(res.paragraphs) == 3000 and "导航链接" not in res.body


def test_plain_text_fallback():
    res = clean_plain("<div><p>First paragraph of the page, kept as text.</p><script>x()</script><p>Second one.</p>")
    assert res.extractor == "plain (fallback)"
    assert res.paragraphs == ["First paragraph of the page, kept as text.", "Second one."]


@pytest.mark.parametrize("name,base", [
    ("gbk_meta_utf8", "trs_editor"), ("gbk_no_meta", "trs_editor"), ("gbk_broken_byte", "trs_editor"),
    ("big5_meta_gb2312", "lone_summary"), ("big5_no_meta", "lone_summary"),
])
def test_legacy_encodings(name, base):
    text = read_text(PAGES / f"{name}.html", Settings())
    res = clean_document(text, "html")
    gold = _gold(base).replace("〇", "零")  # Big5 has no 〇; the Big5 pages spell it 零
    assert char_f1(res.body, gold) >= 0.98


def test_cli_cleans_a_broken_gbk_page(tmp_path):
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "interfaces.cli", "clean", str(PAGES / "gbk_broken_byte.html"),
                          "--json"], capture_output=True, text=True, timeout=300, check=True, cwd=tmp_path, env=env)
    d = json.loads(out.stdout)
    assert d["title"] == "本市启动老旧小区改造三年行动"
    assert char_f1(d["body"], _gold("trs_editor")) >= 0.98


def test_utf8_page_with_one_broken_byte():
    from ingest.decode import decode_bytes, declared_encoding

    data = _page("lone_summary").encode("utf-8")
    i = data.index("交通局長".encode("utf-8"))
    text, encoding = decode_bytes(data[:i] + b"\xe4" + data[i:])  # a truncated three-byte character
    assert encoding == "utf-8+replace" and text.count("\ufffd") == 1
    assert declared_encoding((PAGES / "big5_meta_gb2312.html").read_bytes()) == "gb18030"  # a hint, and wrong here
    assert declared_encoding(b"<html><body>no declaration</body></html>") == ""


STORY = [
    "The city council approved a plan on Monday to build three new schools in the northern districts, where "
    "enrolment has grown by a third in five years.",
    "Construction is expected to start next spring. The council said the schools would be paid for by a bond "
    "that voters approved last year.",
    "Parents' groups welcomed the decision but said the first school would open too late for children who are "
    "already in crowded classrooms.",
]
COMMENTS = "".join(
    f"<div class='c'><a href='/u/{i}'>user{i}</a> <span>2 hours ago</span><p>I think this is a good idea, but the "
    f"council should have acted years ago when the problem was first obvious to everyone here. Number {i}.</p></div>"
    for i in range(12))


@pytest.mark.parametrize("layout", [
    "<main><h1>Council approves three new schools</h1><div>{story}</div>"
    "<section id='discussion'><h2>Join the discussion</h2>{comments}</section></main>",
    "<main><h1>Council approves three new schools</h1><div>{story}</div>"
    "<div class='comments'>{comments}</div></main>",
])
def test_a_long_comment_thread_does_not_win(layout):
    """Twelve comments hold four times the article's prose; the article still wins (the board's heading or
    class), and trafilatura's text, which keeps the comments, does not replace it. (A thread with neither, next
    to the article, is still kept: README, known limitations.)"""
    html = ("<html><head><title>Council approves three new schools - Daily</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/n'>News</a></nav>"
            + layout.format(story="".join(f"<p>{p}</p>" for p in STORY), comments=COMMENTS) + "</body></html>")
    res = clean_document(html, "html")
    assert res.paragraphs == STORY


def test_text_nested_deeper_than_the_parser_reaches():
    """lxml silently drops text nested thousands of levels deep; the plain-text fallback keeps it."""
    para = "市政府今天召开新闻发布会，介绍今年以来经济运行情况，各项指标总体平稳，就业形势保持稳定。"
    res = clean_document("<html><body>" + "<div>" * 5000 + f"<p>{para}</p>" * 3 + "</div>" * 5000, "html")
    assert res.paragraphs == [para] * 3
    assert res.extractor == "plain (fallback)"
    assert res.dropped[0][0] == "fallback: no article in the parsed markup"


CPI = ["国家统计局今天发布数据，十月份全国居民消费价格同比上涨百分之零点二，涨幅比上月回落零点一个百分点。",
       "其中，食品价格下降百分之一点八，非食品价格上涨百分之零点六，核心物价同比上涨百分之零点九。",
       "分析人士认为，随着节日消费旺季到来，未来几个月物价有望温和回升，但总体仍将保持在较低水平。"]


@pytest.mark.parametrize("box", ["<div class='more'><h2>更多新闻</h2>{t}</div>", "<div>{t}</div>", "<ul>{t}</ul>"])
def test_teaser_lists_with_summaries(box):
    """Six headline-plus-summary teasers hold more prose than the article; their shape gives them away."""
    item = "li" if box.startswith("<ul") else "div"
    teasers = "".join(f"<{item} class='item'><h3><a href='/n{i}'>多地出台措施促进消费 第{i}批政策落地</a></h3>"
                      f"<p>据了解，多个省市近日陆续出台政策，通过发放消费券等方式提振消费，相关措施将持续到年底。</p></{item}>"
                      for i in range(6))
    html = ("<html><head><title>十月CPI同比上涨0.2%_财经_示例网</title></head><body><h1>十月CPI同比上涨0.2%</h1><div>"
            + "".join(f"<p>{p}</p>" for p in CPI) + "</div>" + box.format(t=teasers) + "</body></html>")
    res = clean_document(html, "html")
    assert res.paragraphs == CPI


def test_a_comment_counter_inside_the_body_box_keeps_the_body():
    html = ("<html><body><article><h1>Council approves three new schools</h1><div class='story'>"
            "<p>" + STORY[0] + "</p><div class='tools'><a href='#c'>Comments</a></div>"
            + "".join(f"<p>{p}</p>" for p in STORY[1:]) + "</div></article></body></html>")
    res = clean_document(html, "html")
    assert res.paragraphs == STORY


def test_a_wrapper_with_a_comment_class_keeps_the_body():
    html = ("<html><body><h1>Council approves three new schools</h1><div class='layout'>"
            "<div class='post comments-open'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
            "<div class='share'><a>Share</a></div></div></body></html>")
    res = clean_document(html, "html")
    assert res.paragraphs == STORY
