"""The ChronoQA answer scorer: judgement answers by their 是/否 (yes/no), others by containment or char-F1, so a
right paraphrase is not a miss and a quote is not a yes."""
from __future__ import annotations

from eval.chronoqa import Row, answer_right, gold_judgement, judgement_of, summarize


def test_judgements():
    assert gold_judgement(["是的"]) == "yes" and gold_judgement(["不是"]) == "no" and gold_judgement(["沒有"]) == "no"
    assert gold_judgement(["机身过热问题"]) is None
    assert answer_right("是的。X（2023-05-01）与Y（2023-05-20）在同一个月。", "", ["是的"])
    assert answer_right("不是。X与Y不在同一年。", "", ["不是"])
    assert not answer_right("不是。", "", ["是的"])
    assert not answer_right("「荣盛发展于2023年6月连续涨停」[1]", "", ["是的"])  # a quote is not a yes
    assert not answer_right("有关部门表示将继续调查。", "", ["是的"])  # 有关 is not 有
    assert judgement_of("Yes, both in 2020.") == "yes" and judgement_of("No. They were a year apart.") == "no"
    assert judgement_of("Nothing was said.") is None and judgement_of("沒有，兩者不同年。") == "no"


def test_containment_f1_and_numerals():
    assert answer_right("荣盛发展的股价连续5日涨停。[1]", "", ["五日"])  # 五日 = 5日
    assert answer_right("机身过热的问题", "机身过热", ["机身过热问题"])  # a paraphrase by F1
    assert answer_right("加西大學關閉校園較早（2020-03-13）。", "", ["加西大学关闭校园"])  # either script
    assert not answer_right("陕西城固县朝阳小学事件较早。", "", ["加西大学关闭校园"])
    assert not answer_right("anything", "", [])


def test_summary_by_type():
    rows = [Row("a", "relative", "entity", {"aware": {"right": True, "hit1": True}, "blind": {"right": False}}),
            Row("b", "absolute", "judgement", {"aware": {"right": False}, "blind": {"right": False}})]
    s = summarize(rows, ("aware", "blind"))
    assert s["all"]["aware"]["right"] == 0.5 and s["temporal_type=relative"]["blind"]["right"] == 0.0
    assert s["answer_type=judgement"]["n"] == 1
