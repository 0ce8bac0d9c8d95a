"""Cross-lingual retrieval and refusal (issue 24): language groups and pool merging, the same-language check, the
question translation cache, the per-language-pair floors, and an end-to-end run on a real mixed index (the seed news
page in Traditional Chinese beside an English SQuAD article)."""
from __future__ import annotations

import json

import pytest

from articleqa.settings import Settings, SettingsError
from articleqa.types import Chunk, Passage
from qa.cross_lingual import (
    gate_question,
    order_for_context_by_language,
    pair_floor,
    pair_margin,
    weak_evidence_by_pair,
    weak_overlap_by_language,
)
from qa.extractive import order_for_context
from qa.retrieval.crosslingual import Pool, lang_group, merge_pools
from qa.retrieval.fusion import Fused
from qa.retrieval.translate import QueryTranslator, _clean
from tests.datapaths import SEED_PAGE, dataset_file

JD_EN = "How many risk-control models has JD Finance built?"
JD_ZH = "京东金融建了多少个风控模型？"


def _passage(cid: str, text: str, lang: str, dense: float, query: str = "") -> Passage:
    chunk = Chunk(id=cid, article_id=cid.split(":")[0], ordinal=0, text=text, start=0, end=len(text))
    return Passage(chunk=chunk, title="", score=dense, dense_score=dense, lang=lang, search_query=query)


# ---------------------------------------------------------------- pure pieces
def test_language_groups_fold_both_chinese_scripts():
    assert lang_group("zh-Hant") == lang_group("zh-Hans") == "zh"
    assert lang_group("en") == lang_group("") == "en"


def test_merge_pools_by_score_interleave_and_dense():
    zh = Pool("zh", JD_ZH, [Fused("z:0", 2.0, 0.90), Fused("z:1", 0.1, 0.85)], translated=True)
    en = Pool("en", JD_EN, [Fused("e:0", 1.5, 0.86), Fused("e:1", 1.0, 0.84), Fused("e:2", 0.5, 0.83)])
    assert [f.chunk_id for f, _ in merge_pools([zh, en], "en", "score")] == ["z:0", "e:0", "e:1", "e:2", "z:1"]
    assert [f.chunk_id for f, _ in merge_pools([zh, en], "en", "interleave")] == ["e:0", "z:0", "e:1", "z:1", "e:2"]
    assert [f.chunk_id for f, _ in merge_pools([zh, en], "en", "dense")] == ["z:0", "e:0", "z:1", "e:1", "e:2"]
    merged = merge_pools([zh, en], "en", "score")
    assert merged[0][1].translated and merged[0][1].query == JD_ZH


def test_translation_reply_is_cleaned_to_one_line():
    assert _clean('Translation: "京东金融建了多少个风控模型？"\nThis asks about...') == JD_ZH
    assert _clean("") == ""


def test_pair_floors_follow_the_passage_language():
    s = Settings(answer={"min_dense_score_en_zh": 0.79, "min_dense_score_zh_en": 0.81})
    zh_found = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.80, JD_ZH)
    zh_plain = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.80)
    en = _passage("e:0", "The models were built in 2017.", "en", 0.80)
    assert pair_floor(s, JD_EN, zh_found) == 0.79
    assert pair_floor(s, JD_EN, zh_plain) == s.answer.min_dense_score_cross_lingual
    assert pair_floor(s, JD_EN, en) == s.answer.min_dense_score_en
    assert pair_floor(s, "黑死病起源于哪里？", _passage("e:1", "It began in Asia.", "en", 0.8, "Where?")) == 0.81
    assert not weak_evidence_by_pair([en, zh_found], s, JD_EN)  # the Chinese passage clears its own floor
    assert weak_evidence_by_pair([en], s, JD_EN)  # 0.80 < the English floor 0.83


def test_reader_threshold_follows_the_pair_of_the_passage_holding_the_best_span():
    from qa.readers.base import Candidate, Reading
    from qa.refusal import RefusalPolicy

    s = Settings(reader={"min_margin_en_zh": -6.0, "min_margin_zh_en": -2.5})
    zh_found = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.9, JD_ZH)
    en_plain = _passage("e:0", "Finance models are built by banks.", "en", 0.85)
    assert pair_margin(s, "en", [en_plain, zh_found], 1) == -6.0
    assert pair_margin(s, "zh-Hans", [_passage("e:1", "It began in Asia.", "en", 0.8, "Where?")], 0) == -2.5
    assert pair_margin(s, "en", [en_plain, zh_found], 0) is None  # a same-language passage, no translation
    # ... beside passages from cross-lingual retrieval: the same-language passage needs a surer span
    assert pair_margin(s, "en", [en_plain, zh_found], 0, mixed=True) == s.reader.min_margin_en_mixed
    zh_plain = _passage("z:1", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.9)
    assert pair_margin(s, "zh-Hant", [zh_plain], 0, mixed=True) == s.reader.min_margin_zh_mixed
    assert pair_margin(s, "en", [en_plain], 3) is None and pair_margin(s, "en", [zh_found], None) is None
    policy = RefusalPolicy(s)
    reading = Reading("span", [Candidate("500+", 1, 9, 13, 1.0)], answer_margin=-4.0)
    assert policy.after_reading(reading, "en", [en_plain, zh_found]) is None  # -4 >= -6: answered
    assert policy.after_reading(reading, "en", [zh_found, en_plain]) is not None  # in English: -4 < -2
    sure = Reading("span", [Candidate("banks", 0, 27, 32, 1.0)], answer_margin=0.5)
    assert policy.after_reading(sure, "en", [en_plain]) is None  # one language: 0.5 >= min_margin_en -2
    assert policy.after_reading(sure, "en", [en_plain], [en_plain, zh_found]) is None  # mixed, off by default
    surer = RefusalPolicy(Settings(reader={"min_margin_en_mixed": 1.0}))
    assert surer.after_reading(sure, "en", [en_plain], [en_plain, zh_found]) is not None  # mixed: 0.5 < 1
    assert policy.after_reading(reading, "en") is not None  # no passages given: the question's own threshold


def test_same_language_gates_read_the_question_the_top_passage_was_found_with():
    zh = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.9, JD_ZH)
    en = _passage("e:0", "Finance models are built by banks.", "en", 0.85)
    assert gate_question(JD_EN, [zh, en]) == JD_ZH
    assert gate_question(JD_EN, [en, zh]) == JD_EN


def test_word_overlap_gate_compares_each_passage_with_the_question_it_was_found_with():
    from qa.refusal import RefusalPolicy, weak_overlap

    s = Settings()
    zh_found = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.9, JD_ZH)
    zh_other = _passage("z:1", "黑死病在十四世紀傳入歐洲,造成大量死亡。", "zh-Hant", 0.9, "欧盟的议程由谁设置？")
    en_other = _passage("e:0", "The band played in Geneva every summer.", "en", 0.85)
    zh_plain = _passage("z:2", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.8)
    assert not weak_overlap_by_language(JD_EN, [zh_found, en_other], s)  # the translation shares its words
    assert weak_overlap_by_language(JD_EN, [zh_other, en_other], s)  # neither side shares words with its question
    # the old gate skipped an English question over passages whose first three mix scripts
    assert not weak_overlap(JD_EN, [en_other, zh_other], s)
    assert weak_overlap_by_language(JD_EN, [en_other, zh_other], s)
    # a Chinese passage found by the untranslated English question cannot be compared word for word
    assert not weak_overlap_by_language(JD_EN, [zh_plain], s)
    low = Settings(answer={"min_lexical_overlap_en_zh": 0.0})
    assert not weak_overlap_by_language(JD_EN, [zh_other, en_other], low)  # the translation's own floor
    policy = RefusalPolicy(s)
    assert policy.before_reading(JD_EN, [zh_other, en_other], "en", "欧盟的议程由谁设置？") is not None
    assert policy.before_reading(JD_EN, [zh_found, en_other], "en", JD_ZH) is None


def test_one_language_passages_keep_the_old_word_gate_and_reader_thresholds():
    """No passage found through a translation (every one-language corpus): the gates decide as before."""
    from qa.readers.base import Candidate, Reading
    from qa.refusal import RefusalPolicy, weak_overlap, weak_words

    s = Settings()
    held = "京東金融構建了多少個風控模型?"
    plain = [_passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.9),
             _passage("z:1", "黑死病在十四世紀傳入歐洲,造成大量死亡。", "zh-Hant", 0.88)]
    for q in (held, "歐盟的議程由誰設置?"):
        assert weak_words(q, q, plain, plain, s) == weak_overlap(q, plain, s)
    policy = RefusalPolicy(s)
    reading = Reading("span", [Candidate("500+", 0, 9, 13, 1.0)], answer_margin=-0.5)
    assert policy.after_reading(reading, "zh-Hant", plain, plain) is not None  # -0.5 < min_margin 0
    en = [_passage("e:0", "Finance models are built by banks.", "en", 0.85)]
    assert policy.after_reading(reading, "en", en, en) is None  # -0.5 >= min_margin_en -2


def test_reader_order_scores_each_passage_in_its_own_language():
    zh = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.90, JD_ZH)
    others = [_passage(f"e:{i}", f"JD Finance opened office number {i} in Beijing.", "en", 0.85 - i / 100)
              for i in range(4)]
    mixed = others[:3] + [zh] + others[3:]
    assert order_for_context(JD_EN, mixed, 3)[:3] == others[:3]  # read in English, the Chinese passage drops out
    ordered = order_for_context_by_language(JD_EN, mixed, 3)
    assert ordered[0].chunk.id == "z:0"  # read against its translated question, it matches best
    plain = [p for p in others]  # no translation anywhere: the old ordering, unchanged
    assert order_for_context_by_language(JD_EN, plain, 3) == order_for_context(JD_EN, plain, 3)


def test_new_settings_are_bounded():
    with pytest.raises(SettingsError, match="min_dense_score_en_zh"):
        Settings(answer={"min_dense_score_en_zh": 1.5})
    with pytest.raises(SettingsError, match="cross_lingual_original_weight"):
        Settings(retrieval={"cross_lingual_original_weight": -0.1})
    with pytest.raises(SettingsError, match="cross_lingual_candidates"):
        Settings(retrieval={"cross_lingual_candidates": -1})
    with pytest.raises(SettingsError, match="min_margin_en_zh"):
        Settings(reader={"min_margin_en_zh": -31})
    with pytest.raises(SettingsError, match="cross_lingual"):
        Settings(retrieval={"cross_lingual": "sometimes"})
    with pytest.raises(SettingsError, match="min_lexical_overlap_zh_en"):
        Settings(answer={"min_lexical_overlap_zh_en": 1.2})
    with pytest.raises(SettingsError, match="min_margin_en_mixed"):
        Settings(reader={"min_margin_en_mixed": 31})


# ---------------------------------------------------------------- the translation cache
def test_translations_are_cached_on_disk_and_survive_a_torn_line(tmp_path):
    s = Settings(cache=tmp_path / "cache", models={"generator": "none"})
    t = QueryTranslator(s)
    assert t.translate(JD_EN, "zh") == ""  # no generator: no translation, no error
    t.remember(JD_EN, "zh", JD_ZH)
    assert t.translate(JD_EN, "zh") == JD_ZH
    files = list((tmp_path / "cache" / "translations").glob("*.jsonl"))
    assert len(files) == 1
    with files[0].open("a", encoding="utf-8") as fh:
        fh.write('{"key": "torn')
    again = QueryTranslator(s)
    assert again.translate(JD_EN, "zh") == JD_ZH
    assert again.cached("Something else?", "zh") is None
    assert json.loads(files[0].read_text(encoding="utf-8").splitlines()[0])["text"] == JD_ZH


# ---------------------------------------------------------------- end to end on a real mixed index
class Spy:
    """Our own translator, counting what it is asked (its cache holds the translations; no model runs)."""

    def __init__(self, inner: QueryTranslator) -> None:
        self.inner, self.asked = inner, []

    def translate(self, text: str, target: str) -> str:
        self.asked.append((text, target))
        return self.inner.translate(text, target)


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory):
    from articleqa.models.embedder import load_embedder
    from articleqa.store import open_store
    from ingest import ingest_paths

    root = tmp_path_factory.mktemp("crosslingual")
    settings = Settings(cache=root / "cache", index_dir=root / "index", models={"generator": "none"})
    arts = [json.loads(x) for x in dataset_file("squad1").read_text(encoding="utf-8").splitlines() if x.strip()][:1]
    corpus = root / "en.jsonl"
    corpus.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts), encoding="utf-8")
    ingest_paths([corpus, SEED_PAGE], settings.index_dir, settings)
    store = open_store(settings.index_dir, settings)
    yield settings, store, load_embedder(settings), arts[0]
    store.close()


def _retriever(mixed_index, **retrieval):
    from qa.retrieval import HybridRetriever

    settings, store, embedder, _ = mixed_index
    r = HybridRetriever(store, embedder, settings.with_overrides({f"retrieval.{k}": v for k, v in retrieval.items()}))
    spy = Spy(QueryTranslator(r.settings))
    r.translator = lambda: spy
    return r, spy


def test_a_translated_question_finds_the_chinese_passage(mixed_index):
    r, spy = _retriever(mixed_index, cross_lingual="translate")
    spy.inner.remember(JD_EN, "zh", JD_ZH)
    passages = r.search(JD_EN, 5)
    assert spy.asked == [(JD_EN, "zh")]
    top = passages[0]
    assert "風控模型" in top.chunk.text and top.lang == "zh-Hant" and top.search_query == JD_ZH
    assert top.dense_score >= r.settings.answer.min_dense_score_en_zh  # the translation's cosine, not the English one
    assert any(p.lang == "en" for p in passages)  # the English pool is still there


def test_balanced_pools_without_translation_still_reach_the_chinese_side(mixed_index):
    r, spy = _retriever(mixed_index, cross_lingual="balanced")
    passages = r.search(JD_EN, 5)
    assert spy.asked == []
    assert any("風控" in p.chunk.text for p in passages), [p.chunk.text[:30] for p in passages]


def test_the_original_question_blended_into_a_poor_translation_s_pool(mixed_index):
    """A translation that lost the name ("它建了多少个模型？") still finds the passage when the untranslated question's
    cosine is blended in (e5 is multilingual); each passage's dense score stays its cosine with the translation."""
    import numpy as np

    from qa.retrieval.dense import embed_query

    vague = "它有多少个模型？"
    plain, spy = _retriever(mixed_index, cross_lingual="translate", cross_lingual_original_weight=0.0)
    blended, spy2 = _retriever(mixed_index, cross_lingual="translate", cross_lingual_original_weight=0.5)
    for s in (spy, spy2):
        s.inner.remember(JD_EN, "zh", vague)
    got = blended.search(JD_EN, 5)
    zh = [p for p in got if p.lang == "zh-Hant"]
    assert zh and all(p.search_query == vague for p in zh)
    assert spy2.asked == [(JD_EN, "zh")]  # still one translation, no second generator call
    _, store, embedder, _ = mixed_index
    v = embed_query(embedder, vague)
    for p in zh:
        assert p.dense_score == pytest.approx(float(np.dot(store.get_vectors([p.chunk.id])[0], v)), abs=1e-5)
    rank = next(i for i, p in enumerate(got) if "風控" in p.chunk.text)
    before = [p.chunk.id for p in plain.search(JD_EN, 20)]
    hit = next(p.chunk.id for p in got if "風控" in p.chunk.text)
    assert hit not in before or rank <= before.index(hit)


def test_a_same_language_question_keeps_the_plain_ranking_and_is_never_translated(mixed_index):
    _, _, _, article = mixed_index
    question = f"What is {article['title'].replace('_', ' ')}?"
    on, spy = _retriever(mixed_index, cross_lingual="translate")
    off, _ = _retriever(mixed_index, cross_lingual="off")
    zh_q = "京東金融在哪一年實現單季盈利？"
    for q in (zh_q,):
        assert [p.chunk.id for p in on.search(q, 5)] == [p.chunk.id for p in off.search(q, 5)]
    assert spy.asked == []
    # an English question its English article answers does not pay for a translation either
    text = article["text"].split("\n\n")[0]
    sentence = text.split(". ")[0]
    on.search(sentence + "?", 5)
    assert spy.asked == [], question


# ---------------------------------------------------------------- the evidence language in the web chat and the API
def test_sources_show_the_evidence_language():
    from articleqa.types import Answer, Citation
    from interfaces.api.chat import extra
    from interfaces.webui.render import sources_panel

    zh = _passage("z:0", "京東金融已經構建起500+個風控模型。", "zh-Hant", 0.9, JD_ZH)
    cite = Citation(n=1, article_id="z", title="京東金融", chunk_id="z:0", quote="京東金融已經構建起500+個風控模型。",
                    start=0, end=len(zh.chunk.text))
    answer = Answer(question=JD_EN, text="Over 500 [1]", citations=[cite], passages=[zh], lang="en")
    assert "in Chinese (Traditional)" in sources_panel(answer)
    assert extra(answer)["passages"][0]["lang"] == "zh-Hant"
    refused = Answer(question=JD_EN, text="The articles don't say.", refused=True, passages=[zh], lang="en")
    assert "in Chinese (Traditional)" in sources_panel(refused)
    # the citation itself carries it (the API's citations, the OpenAI-shaped footnotes, a card without its passage)
    from interfaces.api.chat import footnotes
    from qa.citations import make_citation

    cite = make_citation(1, zh, 0, len(zh.chunk.text))
    answer = Answer(question=JD_EN, text="over 500 (500+個風控模型) [1]", citations=[cite], passages=[], lang="en")
    assert cite.lang == "zh-Hant" and extra(answer)["citations"][0]["lang"] == "zh-Hant"
    assert "in Chinese (Traditional)" in sources_panel(answer)
    assert footnotes(answer).endswith("(in Chinese (Traditional))")
    same = Answer(question=JD_ZH, text="500+個 [1]", citations=[cite], passages=[zh], lang="zh-Hant")
    assert "(in " not in footnotes(same)  # said only where the evidence is in the other language


def test_gate_bench_replays_a_recorded_question_through_the_refusal_policy():
    """bench/cross_lingual_gates.py `decide`: the rules before round eleven from the record, today's through
    qa.refusal (an off-topic English question answered from an unrelated English passage beside a translated one)."""
    from bench.cross_lingual_gates import decide

    rec = {
        "question": JD_EN, "gate_question": JD_EN, "lang": "en", "direct": False, "best": 0, "margin": 0.5,
        "checks": {"weak_evidence": False, "weak_overlap": False, "missing_figures": False,
                   "missing_asked_figure": False},
        "passages": [
            {"text": "The band played in Geneva every summer.", "group": "en", "via": "", "dense": 0.80},
            {"text": "黑死病在十四世紀傳入歐洲,造成大量死亡。", "group": "zh", "via": JD_ZH, "dense": 0.86},
        ],
        "found": [{"group": "en", "via": False, "dense": 0.80}, {"group": "zh", "via": True, "dense": 0.86}],
    }
    s = Settings()
    assert decide(rec, s, before=True) == ""  # the old gate skipped it and -2 let the reader answer
    assert decide(rec, s) == "overlap"
    rec["passages"][1]["text"] = "京東金融已經構建起500+個風控模型。"  # its translation's words are there
    assert decide(rec, s) == ""
    assert decide(rec, Settings(reader={"min_margin_en_mixed": 1.0})) == "reader"
