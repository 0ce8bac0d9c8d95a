"""Grounding: figures, dates and quoted names in an answer must be in the passages it cites."""
from __future__ import annotations

from articleqa.types import Article, Chunk, Passage
from qa.grounding import extract_claims, unsupported_claims

# Paragraphs of the seed article (jdfinance-2018, Traditional Chinese), as the cleaner leaves them.
SEED_PARAGRAPHS = [
    "1月11日,京東集團董事局主席兼首席執行官劉強東發出一封致京東全員的內部信,其中披露的一個消息引發業內關注:"
    "已獨立運營的京東金融在2017年實現單季盈利。",
    "京東金融的前身京東金融消費金融事業部籌建于2013年9月。2014年2月,京東金融推出了業內第一款互聯網消費金融產品"
    "——“白條”,并很快成為爆款。隨后,京東金融便開啟了令人咂舌的飛速發展模式。",
    "據京東金融公布的數據,截至2017年三季度末,京東金融的各項業務交易總規模相比2014年全年增長了24倍;京東金融擁有800萬"
    "線上線下商戶,個人用戶數量超過3.6億,供應鏈金融服務20萬中小微企業,累計放款總額近5000億元。",
    "引起關注的是,在如此巨量的規模下,京東金融所有業務的智能化、自動化運營占比高達95%,幫助銀行在信貸審核上效率提高10倍"
    "以上,客單成本降低70%以上。",
    "京東金融的快速增長受到資本的青睞。2016年1月,京東金融宣布完成A輪融資,估值近500億元。時隔兩年,考慮到京東金融業務的"
    "發展和盈利狀況,業內人士認為,其在下一輪融資中的估值或將超過千億元級別。",
    "區力介紹,以京東商城龐大的用戶和購物交易數據為基礎,京東金融已經構建起500+個風控模型,基于5000+個風險策略和60萬+"
    "風控變量,積累了5000萬+的黑灰風險名單,實現了對3億+京東用戶信用風險的評估。",
    "對于京東金融的發展愿景,京東金融CEO陳生強介紹說,京東金融堅持以數據為基礎,以技術為手段,為金融機構提供服務。",
]
TITLE = "京東金融實現單季盈利 千億級科技公司如何煉成?"


def seed_article() -> Article:
    return Article(id="seed-000", title=TITLE, text="\n\n".join(SEED_PARAGRAPHS), lang="zh-Hant")


def seed_passages(groups=((0, 1), (2, 3), (4,), (5, 6))) -> list[Passage]:
    """Passages over the seed article, one chunk per group of paragraphs, with exact spans."""
    art = seed_article()
    out = []
    for ordinal, group in enumerate(groups):
        start = art.text.index(SEED_PARAGRAPHS[group[0]])
        last = SEED_PARAGRAPHS[group[-1]]
        end = art.text.index(last) + len(last)
        chunk = Chunk(id=f"{art.id}:{ordinal}", article_id=art.id, ordinal=ordinal, text=art.text[start:end],
                      start=start, end=end)
        out.append(Passage(chunk=chunk, title=art.title, source="中國經濟周刊", score=1.0 - 0.1 * ordinal,
                           dense_score=0.85 - 0.01 * ordinal))
    return out


def test_invented_figures_are_caught():
    passages = seed_passages()
    bad = unsupported_claims("2019年營收為300億元[1]", passages)
    assert any("2019" in b for b in bad) and any("300" in b for b in bad)
    assert unsupported_claims("京東金融在2017年實現單季盈利[1]。2019年營收為300億元[1]。", passages) == ["2019年", "300亿"]


def test_supported_figures_pass():
    passages = seed_passages()
    assert unsupported_claims("京東金融在2017年實現單季盈利[1]。", passages) == []
    assert unsupported_claims("京东金融的个人用户数量超过3.6亿[2]。", passages) == []


def test_chinese_units_are_compared_by_value():
    p = seed_passages()
    assert unsupported_claims("估值近500億元", p) == []
    assert unsupported_claims("valued at nearly 50 billion yuan", p) == []
    assert unsupported_claims("valued at nearly 5 billion yuan", p) != []
    only_valuation = seed_passages(groups=((4,),))  # 估值近500億元 ... 千億元級別
    assert unsupported_claims("valued at nearly 50 billion yuan", only_valuation) == []
    assert unsupported_claims("valued at nearly 500 billion yuan", only_valuation) != []  # 500億 is 50 billion
    assert unsupported_claims("估值近500億元", only_valuation) == []
    assert unsupported_claims("估值近500万元", only_valuation) != []
    assert unsupported_claims("over 100 billion yuan", only_valuation) == []  # 千億
    assert unsupported_claims("over 360 million users", p) == []  # 3.6億
    assert unsupported_claims("over 3.6 billion users", p) != []  # not 3.6億
    assert unsupported_claims("超過3.6億", p) == []
    assert unsupported_claims("超过3.7亿", p) != []
    assert unsupported_claims("估值近五百億元", p) == []
    assert unsupported_claims("估值近三百億元", p) != []
    assert unsupported_claims("估值超過千億元", p) == []
    assert unsupported_claims("60萬+風控變量", p) == []
    assert unsupported_claims("600,000 risk variables", p) == []


def test_percentages_multiples_and_plus_signs():
    p = seed_passages()
    for ok in ("增長了24倍", "grew 24 times", "a 24-fold increase", "運營占比高達95%", "95 percent", "95％",
               "百分之九十五", "500+個風控模型", "500 risk-control models", "built 500+ models"):
        assert unsupported_claims(ok, p) == [], ok
    for bad in ("增長了25倍", "grew 42 times", "運營占比高達96%", "百分之九十", "600+個風控模型"):
        assert unsupported_claims(bad, p) != [], bad
    # a percentage is not supported by the same number used otherwise ("24倍" is not 24%)
    assert unsupported_claims("增長了24%", p) != []


def test_dates_and_width():
    p = seed_passages()
    for ok in ("2014年2月", "2014年2月推出", "in February 2014", "Feb. 2014", "２０１４年２月", "1月11日", "2013年9月",
               "in 2017"):
        assert unsupported_claims(ok, p) == [], ok
    for bad in ("2014年3月", "March 2014", "2015年2月", "1月12日", "2019年"):
        assert unsupported_claims(bad, p) != [], bad


def test_quoted_names():
    p = seed_passages()
    assert unsupported_claims("推出了「白條」[1]", p) == []
    assert unsupported_claims("推出了“白条”", p) == []
    assert unsupported_claims("推出了《白條》", p) == []
    assert unsupported_claims("推出了「金條」", p) == ["金條"]
    # an English rendering of a Chinese name cannot be checked literally and is not held against the answer
    assert unsupported_claims('launched "Baitiao" [1]', p) == []


def test_citation_markers_are_not_figures():
    p = seed_passages()
    assert unsupported_claims("京東金融的CEO是陳生強[4]。", p) == []
    assert unsupported_claims("陳生強[12]【3】[1, 2]", p) == []
    assert [c.kind for c in extract_claims("陳生強[3]")] == []
