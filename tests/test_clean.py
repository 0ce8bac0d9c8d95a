"""The page cleaner: the seed page, the scraped dev pages (a quality gate), pages shaped unlike the dev ones,
Markdown, and markup that must never reach the body."""
from __future__ import annotations

from pathlib import Path

import pytest

from eval.clean_score import char_f1, score_dirty_dir
from ingest.clean import strip_markup
from ingest.clean_document import clean_document
from ingest.junk import junk_kind, parse_meta_line

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "eval" / "datasets" / "seed" / "jdfinance-2018.txt"
DIRTY = Path(__file__).parent / "data" / "dirty"  # six generated dev pages (see tests/data/README.md)


# --- the seed page --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seed():
    return clean_document(SEED.read_text(encoding="utf-8"), "text")


def test_seed_metadata(seed):
    assert seed.title == "京東金融實現單季盈利 千億級科技公司如何煉成?"
    assert seed.author == "周琦"
    assert seed.source == "中國經濟周刊"
    assert seed.date == "2018年第5期"


def test_seed_body_is_every_paragraph_in_order_and_no_junk(seed):
    raw = SEED.read_text(encoding="utf-8")
    lines = [ln.strip() for ln in raw.splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("“我們的定位非常明確"))
    end = next(i for i, ln in enumerate(lines) if ln.endswith("劉強東給京東金融定下的未來目標。"))
    expected = [ln for ln in lines[start : end + 1] if ln and not ln.startswith("《中國經濟周刊》記者")
                and not ln.startswith("(本文刊發于")]
    assert seed.paragraphs == expected
    assert seed.body == "\n\n".join(expected)
    assert seed.paragraphs[0].startswith("“我們的定位非常明確")
    assert seed.paragraphs[-1].endswith("劉強東給京東金融定下的未來目標。")
    for junk in ["首頁", "正文", "微笑", "流淚", "網絡編輯", "版權作品", "封面", "————", "<", "人民日報社",
                 "經濟網 中國經濟論壇", "周琦 | 北京報道", "本文刊發于"]:
        assert junk not in seed.body, junk
    assert seed.title not in seed.body


def test_seed_headings_are_kept_as_paragraphs(seed):
    assert seed.headings == [
        "服務20萬中小微企業,估值超千億",
        "定位金融機構合作者,用科技服務金融",
        "創新與風控是核心競爭力,目標全球金融科技公司TOP3",
    ]
    for h in seed.headings:
        assert h in seed.paragraphs
    offsets = seed.heading_offsets()
    assert [h for _, h in offsets] == seed.headings
    for off, h in offsets:
        assert seed.body[off : off + len(h)] == h


# --- the dirty dev pages: the quality gate ---------------------------------------------------------------------

def test_dirty_pages_char_f1():
    scores = score_dirty_dir(DIRTY)
    for fmt in ("txt", "html"):
        assert scores[fmt]["n"] == 6
        assert scores[fmt]["min_f1"] >= 0.99, (fmt, {k: v["f1"] for k, v in scores[fmt]["files"].items()})


def test_char_f1():
    assert char_f1("abc", "abc") == 1.0
    assert char_f1("a b\nc", "abc") == 1.0  # white space ignored
    assert char_f1("cba", "abc") == 1.0  # multiset, order-free
    assert char_f1("", "abc") == 0.0
    assert char_f1("abcd", "abc") == pytest.approx(2 * 0.75 * 1.0 / 1.75)
    assert char_f1("aab", "ab") == pytest.approx(0.8)


# --- pages shaped unlike the dev pages -------------------------------------------------------------------------

OTHER_SITE_HTML = """<!doctype html>
<html lang="en"><head><title>River towns face record floods | Northern Gazette</title>
<meta property="og:site_name" content="Northern Gazette">
<meta name="author" content="Lena Fischer">
<link rel="canonical" href="https://gazette.example/news/floods">
<script>window.dataLayer=[];function track(){}</script></head>
<body>
<header class="site-header"><a class="brand" href="/">Northern Gazette</a>
<nav><a href="/">News</a> <a href="/sport">Sport</a> <a href="/culture">Culture</a></nav></header>
<div id="gdpr-consent">We use cookies to improve your experience. <button>Accept</button></div>
<main><article>
<h1>River towns face record floods</h1>
<p class="meta">By Lena Fischer | Hamburg | 2024-03-02 09:15</p>
<div class="story-body">
<p>Water levels on the lower Elbe rose above the 2013 record on Saturday, forcing several towns to evacuate
their riverside districts for the second time this winter.</p>
<figure><img src="/x.jpg" alt=""><figcaption>Sandbags in Lauenburg. Photo: Gazette</figcaption></figure>
<h2>Evacuations along the river</h2>
<p>Officials in Lauenburg said about 1,200 residents had left their homes by midday, and that emergency
shelters had been opened in two schools on higher ground.</p>
<div class="ad-slot"><script>loadAd("slot-7")</script>Advertisement</div>
<p>Forecasters expect the crest to pass Hamburg late on Sunday. "We are prepared, but this is serious,"
the city's flood coordinator said.</p>
</div>
<div class="social-share">Share this article: Facebook Twitter Email</div>
</article>
<aside class="more-stories"><h3>Most read</h3><ul><li><a href="/a">Budget talks collapse</a></li>
<li><a href="/b">New bridge opens</a></li></ul></aside>
<section class="comments"><h3>Comments (3)</h3><p>reader1: Stay safe everyone, this is awful news for the towns.</p></section>
</main>
<footer><p>© 2024 Northern Gazette. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""

OTHER_SITE_TEXT = """台灣日報網｜即時新聞
即時  政治  社會  國際  財經  生活
文／王大明
2023/05/12 08:30
颱風過境 北部山區豪雨
中央氣象局表示，颱風中心已於今日清晨通過北部海面，北部山區累積雨量超過五百毫米。

氣象局提醒民眾，山區仍有坍方與落石的可能，請避免前往。

（圖／資料照片）
一、交通影響
鐵路局表示，部分班次停駛，預計明日恢復正常行駛。

延伸閱讀：颱風假怎麼放？各縣市一次看
責任編輯：李小美
分享到：Facebook LINE 噗浪
讚 0
本網站所有內容版權所有，未經授權禁止轉載。
"""


def test_other_site_html():
    res = clean_document(OTHER_SITE_HTML, "html")
    assert res.title == "River towns face record floods"
    assert res.author == "Lena Fischer"
    assert res.date.startswith("2024-03-02")
    assert res.source == "Northern Gazette"
    assert res.url == "https://gazette.example/news/floods"
    assert res.headings == ["Evacuations along the river"]
    body = res.body
    assert body.startswith("Water levels on the lower Elbe")
    assert body.endswith('the city\'s flood coordinator said.')
    assert "Evacuations along the river" in res.paragraphs
    assert len(res.paragraphs) == 4
    for junk in ["cookies", "Advertisement", "Share this", "Most read", "Budget talks", "reader1", "©",
                 "Privacy", "Photo:", "loadAd", "dataLayer", "Sport"]:
        assert junk not in body, junk


def test_other_site_text():
    res = clean_document(OTHER_SITE_TEXT, "text")
    assert res.title == "颱風過境 北部山區豪雨"
    assert res.author == "王大明"
    assert res.date == "2023/05/12 08:30"
    assert res.paragraphs == [
        "中央氣象局表示，颱風中心已於今日清晨通過北部海面，北部山區累積雨量超過五百毫米。",
        "氣象局提醒民眾，山區仍有坍方與落石的可能，請避免前往。",
        "一、交通影響",
        "鐵路局表示，部分班次停駛，預計明日恢復正常行駛。",
    ]
    assert res.headings == ["一、交通影響"]


def test_plain_text_without_junk_is_kept_whole():
    text = ("A quiet morning\n\nThe market opened late because of the fog, and most stalls were still empty at nine.\n\n"
            "By noon the square was full again.\n")
    res = clean_document(text, "text")
    assert res.title == "A quiet morning"
    assert res.paragraphs == [
        "The market opened late because of the fog, and most stalls were still empty at nine.",
        "By noon the square was full again.",
    ]


def test_hard_wrapped_text_is_joined():
    text = ("Notes on the harbour\n\n"
            "The harbour was rebuilt in 1890 after a storm destroyed the\n"
            "old wooden piers, and the new stone quay was much longer\n"
            "than the one it replaced.\n\n"
            "Ships still use it today.\n")
    res = clean_document(text, "text")
    assert res.paragraphs[0] == ("The harbour was rebuilt in 1890 after a storm destroyed the old wooden piers, "
                                 "and the new stone quay was much longer than the one it replaced.")


def test_markdown():
    md = """---
title: 城市綠地調查
author: 陳小華
date: 2022-08-01
---

# 城市綠地調查

![封面](cover.png)

本市的**公園面積**在過去十年增加了三成，詳見[市府報告](https://example.org/report)。

## 調查方法

研究團隊以衛星影像比對 2012 年與 2022 年的綠地分布。

- 公園
- 行道樹

```
raw data lines
```
"""
    res = clean_document(md, "markdown")
    assert res.title == "城市綠地調查"
    assert res.author == "陳小華"
    assert res.date == "2022-08-01"
    assert res.paragraphs[0] == "本市的公園面積在過去十年增加了三成，詳見市府報告。"
    assert "調查方法" in res.headings
    assert "研究團隊以衛星影像比對 2012 年與 2022 年的綠地分布。" in res.paragraphs
    for junk in ["**", "](", "![", "#", "cover.png", "```", "---"]:
        assert junk not in res.body, junk


# --- markup never survives -------------------------------------------------------------------------------------

XSS = [
    '<script>alert("x")</script>',
    '<img src=x onerror="alert(1)">',
    '<svg onload=alert(1)><circle/></svg>',
    '<a href="javascript:alert(1)">click</a>',
    '<iframe src="https://evil.example"></iframe>',
    "&lt;script&gt;alert(2)&lt;/script&gt;",
    '<SCRIPT SRC="//evil.example/x.js"></SCRIPT>',
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("kind", ["text", "html", "markdown"])
def test_executable_markup_is_dropped(kind):
    body_para = "The council approved the new library budget on Tuesday after a long debate."
    doc = "Library budget approved\n\n" + body_para + "\n\n" + "\n\n".join(
        f"Paragraph {i} says something harmless. {x} And it ends normally." for i, x in enumerate(XSS))
    if kind == "html":
        doc = "<html><body><h1>Library budget approved</h1>" + "".join(
            f"<p>{p}</p>" for p in doc.split("\n\n")[1:]) + "</body></html>"
    res = clean_document(doc, kind)
    body = res.body.lower()
    assert body_para.lower() in body
    for bad in ["<script", "</script", "<img", "onerror", "<svg", "onload", "<iframe", "javascript:", "alert(",
                "<style", "display:none"]:
        if bad in ("alert(", "javascript:") and kind != "html":
            continue  # in plain text these are words; the tags around them are what must go
        assert bad not in body, (kind, bad)
    assert "<" not in res.body
    assert "paragraph 3 says something harmless." in body


def test_strip_markup_handles_unclosed_and_escaped_tags():
    text, _ = strip_markup('before <xmp id="a"><xmp id="a"><div id="a"><optgroup id="a"></optgroup></div> after')
    assert text.split() == ["before", "after"]
    text, _ = strip_markup("a &lt;img src=x onerror=alert(1)&gt; b")
    assert "<img" not in text and "onerror" not in text


# --- junk rules ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,kind", [
    ("首頁 > 周刊雜志 > 正文", "breadcrumb"),
    ("Home > World > Article", "breadcrumb"),
    ("(網絡編輯:崔曉萌)", "editor_line"),
    ("（Editor: Mark Ellison）", "editor_line"),
    ("责任编辑：李小美", "editor_line"),
    ("中國經濟周刊-經濟網版權作品,轉載時須獲得授權并注明來源,違者將被追究法律責任。", "copyright"),
    ("© 2021 The Daily Ledger. All rights reserved.", "copyright"),
    ("分享到：微信 微博 QQ空間", "share_bar"),
    ("微笑", "reactions"),
    ("Like Love Haha", "reactions"),
    ("2018年第5期《中國經濟周刊》封面", "image_caption"),
    ("(File photo)", "image_caption"),
    ("【相關閱讀】兀良哈三卫：兀良哈三衛又稱朵顏三衛……", "related_links"),
    ("READ MORE: Super Bowl 50", "related_links"),
    ("————————————————", "separator"),
    ("國際  新聞中心  專題  體育  周刊雜志", "nav_menu"),
    ("Comments (59) user7120: Great article", "reader_comments"),
    ("Sign up for our newsletter", "disclaimer"),
    ("Advertisement", "inline_junk"),
    ("1、请遵守中华人民共和国有关法律、法规，尊重网上道德。", "board_rules"),
    ("網友應謹慎發言，違者自負法律責任。", "board_rules"),
    ("本网站拥有管理笔名和留言的一切权力。", "board_rules"),
    ("討論規範", "board_rules"),
    ("新闻热线：010-12345678", "hotline"),
    ("违法和不良信息举报电话：010-87654321", "hotline"),
    ("【更多精彩新聞，請追蹤粉絲團】", "inline_junk"),
    ("北市公車將全面電動化。資料照片", "image_caption"),
    ("lr9111[219.130.79.*] 认为：", "reader_comments"),
    ("Reporting by Ann Lee; Editing by Tom Hale", "editor_line"),
    ("Follow Newsbeat on", "share_bar"),
    ("自殺防治諮詢安心專線：0800-788995（24小時）", "hotline"),
    ("opinions@example.com.tw", "hotline"),
    ("社會中心／綜合報導", "editor_line"),
    ("▲警消到場時男子已無生命跡象。（圖／翻攝畫面）", "image_caption"),
])
def test_junk_kinds(line, kind):
    assert junk_kind(line) == kind


@pytest.mark.parametrize("line", [
    "服務20萬中小微企業,估值超千億",
    "京東金融的快速增長受到資本的青睞。2016年1月,京東金融宣布完成A輪融資,估值近500億元。",
    "By 1900 the town had doubled in size.",
    "Editors at the paper disagreed about the headline for weeks.",
    "The Home Office said the rules would change.",
    "【陳美玲／台北報導】台北市交通局今天宣布，市區公車明年起新購車輛將全數採用電動車。",
    "網友在留言中批評市府的決定，認為補助金額太低。",
    "Follow the money on the way.",
    "警方電話：110報案後，員警隨即趕到現場處理。",
    "他決定投稿。",
    "警方呼籲民眾，如發現可疑人士，請撥打110報案。",
])
def test_text_is_not_junk(line):
    assert junk_kind(line) is None
    assert parse_meta_line(line) is None


@pytest.mark.parametrize("line,author,source,date", [
    ("《中國經濟周刊》記者 周琦 | 北京報道", "周琦", "中國經濟周刊", ""),
    ("記者 陳曉華／高雄報導", "陳曉華", "", ""),
    ("(本文刊發于《中國經濟周刊》2018年第5期)", "", "中國經濟周刊", "2018年第5期"),
    ("来源：每日新闻网  2015-06-05 16:58", "", "每日新闻网", "2015-06-05 16:58"),
    ("By Priya Raman | New York | 2021-05-08 16:56", "Priya Raman", "", "2021-05-08 16:56"),
    ("Mark Ellison, Staff Reporter", "Mark Ellison", "", ""),
    ("Source: Metro News | Updated 2021-12-20 21:29", "", "Metro News", "2021-12-20 21:29"),
    ("(This article appeared in the 2023 issue 1 of The Evening Courier.)", "", "The Evening Courier", "2023 issue 1"),
    ("2023-07-05 10:12:36　来源：示例新闻网　作者：李晓东", "李晓东", "示例新闻网", "2023-07-05 10:12:36"),
    ("2016/03/19 10:48 來源：中央社", "", "中央社", "2016/03/19 10:48"),
])
def test_meta_lines(line, author, source, date):
    m = parse_meta_line(line)
    assert m is not None
    assert (m.author, m.source, m.date) == (author, source, date)


def test_dirty_html_without_class_names():
    """The HTML cleaner must not depend on the dev pages' class names: strip every class/id and score again."""
    import re

    scores = []
    for page in sorted(DIRTY.glob("*.dirty.html")):
        html = re.sub(r'\s(class|id)="[^"]*"', "", page.read_text(encoding="utf-8"))
        gold = page.with_name(page.name.replace(".dirty.html", ".clean.txt")).read_text(encoding="utf-8")
        scores.append(char_f1(clean_document(html, "html").body, gold))
    assert sum(scores) / len(scores) >= 0.95, scores


def test_comment_board_ends_the_article():
    body = ["市政府今天宣布，明年起全面推動公車電動化，預計五年內完成。" * 3, "交通局表示，將同步增設充電設施。" * 3]
    text = "公車電動化\n\n" + "\n\n".join(body) + "\n\n熱門評論\n\nabc123[1.2.3.*] 說：\n\n支持市府的決定，早該這樣做了。\n"
    res = clean_document(text, "text")
    assert res.paragraphs == body
    assert ("comment board", "熱門評論") in res.dropped


def test_comment_label_early_is_not_a_board():
    text = "標題\n\n評論\n\n" + "這是正文的第一段，內容很長很長，說明了事件的來龍去脈。" * 3 + "\n\n第二段也是正文。\n"
    res = clean_document(text, "text")
    assert any(p.startswith("這是正文的第一段") for p in res.paragraphs)
    assert res.paragraphs[-1] == "第二段也是正文。"
