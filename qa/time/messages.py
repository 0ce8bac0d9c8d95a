"""The fixed strings of time-aware answers, per language (see qa/language.py for the others)."""
from __future__ import annotations

from articleqa.dates import Period

_STRINGS: dict[str, dict[str, str]] = {
    "note_time": {
        "zh-Hant": "時間：「{expr}」指 {period}（以 {as_of} 為準）。",
        "zh-Hans": "时间：「{expr}」指 {period}（以 {as_of} 为准）。",
        "en": "Time: \u201c{expr}\u201d means {period} (as of {as_of}).",
    },
    "note_today": {
        "zh-Hant": "未指定提問日期，以今天（{today}）為準。",
        "zh-Hans": "未指定提问日期，以今天（{today}）为准。",
        "en": "No as_of date was given: the question was read as asked today ({today}).",
    },
    "note_filtered": {
        "zh-Hant": "只檢索 {period} 發布的文章。",
        "zh-Hans": "只检索 {period} 发布的文章。",
        "en": "Searched articles published {period}.",
    },
    "note_widened": {
        "zh-Hant": "{period} 發布的文章太少，已放寬到 {wide}，並補上其他日期的段落。",
        "zh-Hans": "{period} 发布的文章太少，已放宽到 {wide}，并补上其他日期的段落。",
        "en": "Too few articles published {period}: widened to {wide} and filled up with passages of other dates.",
    },
    "note_beyond": {
        "zh-Hant": "{period} 發布的文章裡沒有答案，已改為檢索 {as_of} 以前發布的所有文章：答案所引段落的日期在 {period} 之外。",
        "zh-Hans": "{period} 发布的文章里没有答案，已改为检索 {as_of} 以前发布的所有文章：答案所引段落的日期在 {period} 之外。",
        "en": "No article published {period} answers this, so every article published up to {as_of} was searched: "
              "the cited passages are dated outside {period}.",
    },
    "note_latest": {
        "zh-Hant": "問題問的是最新的情況：段落按發布日期排序。",
        "zh-Hans": "问题问的是最新的情况：段落按发布日期排序。",
        "en": "The question asks for the latest report: passages are ranked by publication date.",
    },
    "note_disagree": {
        "zh-Hant": "不同日期的段落說法不同：{items}",
        "zh-Hans": "不同日期的段落说法不同：{items}",
        "en": "Passages of different dates disagree: {items}",
    },
    "as_of_prefix": {"zh-Hant": "截至 {when}，", "zh-Hans": "截至 {when}，", "en": "As of {when}: "},
    "undated": {"zh-Hant": "無日期", "zh-Hans": "无日期", "en": "undated"},
    "yes": {"zh-Hant": "是的", "zh-Hans": "是的", "en": "Yes"},
    "no": {"zh-Hant": "不是", "zh-Hans": "不是", "en": "No"},
    "same": {
        "zh-Hant": "{yn}。{a}（{da}）與{b}（{db}）{same}同一{unit}。",
        "zh-Hans": "{yn}。{a}（{da}）与{b}（{db}）{same}同一{unit}。",
        "en": "{yn}. {a} ({da}) and {b} ({db}) {same} the same {unit}.",
    },
    "same_yes": {"zh-Hant": "在", "zh-Hans": "在", "en": "are in"},
    "same_no": {"zh-Hant": "不在", "zh-Hans": "不在", "en": "are not in"},
    "earliest": {
        "zh-Hant": "{item}較早（{d}）。{rest}",
        "zh-Hans": "{item}较早（{d}）。{rest}",
        "en": "{item} came first ({d}). {rest}",
    },
    "latest": {
        "zh-Hant": "{item}較晚（{d}）。{rest}",
        "zh-Hans": "{item}较晚（{d}）。{rest}",
        "en": "{item} came last ({d}). {rest}",
    },
    "dated_item": {"zh-Hant": "{item}：{d}", "zh-Hans": "{item}：{d}", "en": "{item}: {d}"},
    "note_compare": {
        "zh-Hant": "比較的是各事件最相關段落的日期（文章發布日期，沒有時取段落中的第一個日期）。",
        "zh-Hans": "比较的是各事件最相关段落的日期（文章发布日期，没有时取段落中的第一个日期）。",
        "en": "Compared the dates of each event's best passage (its article's publication date, else the first date "
              "in the passage).",
    },
}
UNITS = {"year": ("年", "年", "year"), "month": ("個月", "个月", "month"), "day": ("天", "天", "day"),
         "week": ("週", "周", "week")}


def msg(key: str, lang: str, **kw: object) -> str:
    table = _STRINGS[key]
    text = table.get(lang) or table["en"]
    return text.format(**kw) if kw else text


def unit_name(unit: str, lang: str) -> str:
    return UNITS[unit][{"zh-Hant": 0, "zh-Hans": 1}.get(lang, 2)]


def show_period(p: Period) -> str:
    return str(p).replace("..", " – ")
