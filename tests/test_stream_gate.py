"""Streaming must not show a figure before the grounding check has seen its sentence."""
from articleqa.types import Chunk, Passage
from qa.chain import _TokenRelay

PASSAGES = [Passage(chunk=Chunk(id="a:0", article_id="a", ordinal=0, start=0, end=29,
                                text="京東金融在2017年實現單季盈利。個人用戶數量超過3.6億。"))]


def _stream(pieces, lang="zh-Hant"):
    shown = []
    relay = _TokenRelay(shown.append, lang, None, PASSAGES)
    for p in pieces:
        relay.feed(p)
    relay.flush()
    return shown


def test_supported_figures_stream_and_invented_ones_never_show():
    shown = _stream(["京東", "金融在", "20", "17年實現", "單季盈利[1]。", "2019年營收", "為300億元[1]。", "它很", "好。"])
    text = "".join(shown)
    assert "2017年" in text and "3.6" not in text
    assert "2019" not in text and "300" not in text  # the invented sentence never reached the screen
    assert shown[0] == "京東"  # text without figures still streams token by token


def test_text_is_held_from_the_first_figure_until_the_sentence_ends():
    relay_out = []
    relay = _TokenRelay(relay_out.append, "zh-Hant", None, PASSAGES)
    relay.feed("用戶超過3.")
    assert "".join(relay_out) == "用戶超過"
    relay.feed("6億[1]。")
    assert "".join(relay_out) == "用戶超過3.6億[1]。"
