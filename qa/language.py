"""The question's language and script, answer conversion to it, and the fixed strings users see."""
from __future__ import annotations

from articleqa.text import detect_lang, has_cjk, to_script

LANGS = ("zh-Hant", "zh-Hans", "en")

# The fixed strings, per language. Keys are stable; callers format them with str.format(**kw).
_STRINGS: dict[str, dict[str, str]] = {
    "not_found": {
        "zh-Hant": "文章中沒有提到這個問題的答案。",
        "zh-Hans": "文章中没有提到这个问题的答案。",
        "en": "The articles don't say.",
    },
    "related": {
        "zh-Hant": "最相關的段落:",
        "zh-Hans": "最相关的段落:",
        "en": "Closest passages:",
    },
    "sources": {"zh-Hant": "來源", "zh-Hans": "来源", "en": "Sources"},
    "undated": {"zh-Hant": "無日期", "zh-Hans": "无日期", "en": "undated"},
    "note_weak_evidence": {
        "zh-Hant": "檢索到的段落與問題相關性太低(最高相似度 {score:.3f} < {threshold:.2f}),不作答。",
        "zh-Hans": "检索到的段落与问题相关性太低(最高相似度 {score:.3f} < {threshold:.2f}),不作答。",
        "en": "The retrieved passages are too weakly related (best similarity {score:.3f} < {threshold:.2f}); no answer.",
    },
    "note_model_unsure": {
        "zh-Hant": "模型判斷這些句子很可能沒有回答這個問題。",
        "zh-Hans": "模型判断这些句子很可能没有回答这个问题。",
        "en": "The model judged that the sentences most likely do not answer the question.",
    },
    "note_model_refused": {
        "zh-Hant": "模型表示段落中找不到答案。",
        "zh-Hans": "模型表示段落中找不到答案。",
        "en": "The model found no answer in the passages.",
    },
    "note_no_passages": {
        "zh-Hant": "索引中沒有可用的段落。",
        "zh-Hans": "索引中没有可用的段落。",
        "en": "The index has no passages.",
    },
    "note_model_refused_quoting": {
        "zh-Hant": "模型表示段落中找不到答案,但段落中有與問題高度相符的句子,改為直接摘錄。",
        "zh-Hans": "模型表示段落中找不到答案,但段落中有与问题高度相符的句子,改为直接摘录。",
        "en": "The model found no answer, but a passage sentence closely matches the question; quoting it instead.",
    },
    "note_fallback": {
        "zh-Hant": "生成的答案未通過核對,改用從文章中直接摘錄的句子。",
        "zh-Hans": "生成的答案未通过核对,改用从文章中直接摘录的句子。",
        "en": "The generated answer failed the check; showing sentences quoted from the articles instead.",
    },
    "note_no_llm": {
        "zh-Hant": "未設定語言模型,使用摘錄模式。",
        "zh-Hans": "未设定语言模型,使用摘录模式。",
        "en": "No language model is configured; using extractive mode.",
    },
    "note_llm_error": {
        "zh-Hant": "語言模型出錯({error}),改用摘錄模式。",
        "zh-Hans": "语言模型出错({error}),改用摘录模式。",
        "en": "The language model failed ({error}); using extractive mode.",
    },
    "note_extractive_lang": {
        "zh-Hant": "摘錄的句子保留文章原文的語言。",
        "zh-Hans": "摘录的句子保留文章原文的语言。",
        "en": "Quoted sentences are in the article's own language.",
    },
    "note_missing_figures": {
        "zh-Hant": "問題提到的 {figures} 在檢索到的段落中都沒有出現。",
        "zh-Hans": "问题提到的 {figures} 在检索到的段落中都没有出现。",
        "en": "The passages never mention {figures}, which the question asks about.",
    },
    "note_weak_overlap": {
        "zh-Hant": "段落中沒有與問題內容相符的句子。",
        "zh-Hans": "段落中没有与问题内容相符的句子。",
        "en": "No sentence in the passages matches what the question asks about.",
    },
    "note_short_unsupported": {
        "zh-Hant": "模型給出的簡短答案不在它引用的句子中,改為摘錄最相關的句子。",
        "zh-Hans": "模型给出的简短答案不在它引用的句子中,改为摘录最相关的句子。",
        "en": "The model's short answer is not in the sentence it cites; quoting the best-matching sentences instead.",
    },
    "note_metadata": {
        "zh-Hant": "答案取自文章的{field}欄位。",
        "zh-Hans": "答案取自文章的{field}栏位。",
        "en": "Answered from the article's {field} field.",
    },
    "note_not_answerable": {
        "zh-Hant": "段落中沒有問題所問的{kind}。",
        "zh-Hans": "段落中没有问题所问的{kind}。",
        "en": "No passage sentence that matches the question holds the {kind} it asks for.",
    },
    "note_reader_no_answer": {
        "zh-Hant": "閱讀模型判斷這些段落沒有回答這個問題(把握差 {margin:.1f} < {threshold:.1f})。",
        "zh-Hans": "阅读模型判断这些段落没有回答这个问题(把握差 {margin:.1f} < {threshold:.1f})。",
        "en": "The reader found no answer in the passages (margin {margin:.1f} < {threshold:.1f}).",
    },
    "kind_figure": {"zh-Hant": "數字或年份", "zh-Hans": "数字或年份", "en": "number or year"},
    "note_rewritten": {
        "zh-Hant": "追問已改寫為:{question}",
        "zh-Hans": "追问已改写为:{question}",
        "en": "Follow-up rewritten as: {question}",
    },
}


def question_lang(question: str) -> str:
    """'zh-Hant', 'zh-Hans' or 'en' for a question."""
    return detect_lang(question or "")


def message(key: str, lang: str, **kw: object) -> str:
    """A fixed string in ``lang`` (English when the language is unknown)."""
    table = _STRINGS[key]
    text = table.get(lang) or table["en"]
    return text.format(**kw) if kw else text


def not_found(lang: str) -> str:
    return message("not_found", lang)


# The evidence language as a source list says it ("in Chinese (Traditional)"): web chat cards, API footnotes.
LANG_NAMES = {"zh-Hant": "Chinese (Traditional)", "zh-Hans": "Chinese (Simplified)", "en": "English"}


def evidence_language_differs(question_lang: str, evidence_lang: str) -> bool:
    """The evidence is in the other language group (Chinese / English) than the question."""
    return bool(evidence_lang) and evidence_lang.startswith("zh") != (question_lang or "").startswith("zh")


def to_answer_script(text: str, lang: str, source: str | None = None) -> str:
    """Chinese characters in ``text`` converted to the question's script (zh-Hant or zh-Hans).

    Text taken from an article already in that script (``source``: the sentence it came from; ``text`` itself when
    None) is kept as written: OpenCC's s2t would turn Taiwan usage such as 台, 了, 群 into 臺, 瞭, 羣.
    English answers are left alone: Chinese names quoted in them keep the article's script.
    """
    if lang not in ("zh-Hant", "zh-Hans") or not has_cjk(text):
        return text
    if detect_lang(source if source else text) == lang:
        return text
    return to_script(text, lang)
