"""The saved prompt-prefix state (articleqa/models/prefix_state.py) on the real bundled model: written after the
first warm-up, loaded instead of evaluating on the next, a new file for a new prefix, a damaged file rewritten, and
the same answer as after a fresh evaluation."""
from __future__ import annotations

import pytest

from articleqa.models import generator as gen
from articleqa.models.prefix_state import MAGIC, state_key, warm_prefix
from articleqa.settings import load_settings
from qa.prompts import SHORT_SYSTEM

QUESTION = "Evidence:\n[1] The museum opened in 1998 in Tainan.\n\nQuestion: When did the museum open?"


@pytest.fixture(scope="module")
def client():
    settings = load_settings().with_overrides({"models.prefix_state": False})
    return gen.load_chat_model(settings, streaming=False).client


def _prefix(system: str = SHORT_SYSTEM) -> list[dict]:
    return [{"role": "system", "content": system}, {"role": "user", "content": "《"}]


def _evaluate(client, msgs):
    return lambda: client.create_chat_completion(messages=msgs, max_tokens=1, temperature=0.0)


def _answer(client, system: str = SHORT_SYSTEM) -> str:
    msgs = [{"role": "system", "content": system}, {"role": "user", "content": QUESTION}]
    out = client.create_chat_completion(messages=msgs, max_tokens=12, temperature=0.0)
    return out["choices"][0]["message"]["content"]


def _model_id() -> str:
    return f"sha256:{gen.GGUF_SHA256}"


def _must_not_run():
    raise AssertionError("the saved state should have been loaded, not evaluated again")


def test_saved_then_loaded_with_the_same_answer(client, tmp_path):
    with gen.generator_lock():
        client.reset()
        assert warm_prefix(client, _prefix(), _evaluate(client, _prefix()), tmp_path, _model_id()) == "saved"
        saved_tokens = list(client.input_ids[: client.n_tokens])
        fresh = _answer(client)
        files = list(tmp_path.glob("*.bin"))
        assert len(files) == 1 and files[0].read_bytes().startswith(MAGIC)
        assert files[0].name.startswith(state_key(client, _prefix(), _model_id())[:40])
        client.reset()
        client.create_chat_completion(messages=[{"role": "user", "content": "Hi"}], max_tokens=2)  # other tokens
        assert warm_prefix(client, _prefix(), _must_not_run, tmp_path, _model_id()) == "loaded"
        assert list(client.input_ids[: client.n_tokens]) == saved_tokens
        assert _answer(client) == fresh
    assert fresh.strip()


def test_changed_prefix_or_model_gets_its_own_state(client, tmp_path):
    other = SHORT_SYSTEM + " Be brief."
    with gen.generator_lock():
        client.reset()
        assert warm_prefix(client, _prefix(), _evaluate(client, _prefix()), tmp_path, _model_id()) == "saved"
        assert warm_prefix(client, _prefix(other), _evaluate(client, _prefix(other)), tmp_path,
                           _model_id()) == "saved"
        assert warm_prefix(client, _prefix(), _evaluate(client, _prefix()), tmp_path, "sha256:other") == "saved"
        assert len(list(tmp_path.glob("*.bin"))) == 3
        after_evaluation = _answer(client, other)
        client.reset()
        assert warm_prefix(client, _prefix(other), _must_not_run, tmp_path, _model_id()) == "loaded"
        assert _answer(client, other) == after_evaluation
        third = SHORT_SYSTEM + " Cite."
        assert warm_prefix(client, _prefix(third), _evaluate(client, _prefix(third)), tmp_path, _model_id(),
                           keep=2) == "saved"
        kept = {p.name[:40] for p in tmp_path.glob("*.bin")}  # keep=2: the newest two (just saved, just loaded)
        assert kept == {state_key(client, _prefix(third), _model_id())[:40],
                        state_key(client, _prefix(other), _model_id())[:40]}


def test_damaged_state_is_evaluated_and_rewritten(client, tmp_path):
    with gen.generator_lock():
        client.reset()
        warm_prefix(client, _prefix(), _evaluate(client, _prefix()), tmp_path, _model_id())
        fresh = _answer(client)
        (path,) = tmp_path.glob("*.bin")
        data = path.read_bytes()
        path.write_bytes(data[:-1000])  # cut short
        client.reset()
        ran = []
        ev = _evaluate(client, _prefix())
        assert warm_prefix(client, _prefix(), lambda: ran.append(ev()), tmp_path, _model_id()) == "saved"
        assert ran and path.stat().st_size == len(data)
        flipped = bytearray(path.read_bytes())
        flipped[-5] ^= 0xFF  # same size, one byte changed: the checksum catches it
        path.write_bytes(bytes(flipped))
        client.reset()
        assert warm_prefix(client, _prefix(), lambda: ran.append(ev()), tmp_path, _model_id()) == "saved"
        assert len(ran) == 2 and _answer(client) == fresh


def test_assistant_warms_from_the_saved_state(tmp_path):
    from qa.assistant import Assistant

    settings = load_settings().with_overrides({"models.prefix_state_dir": str(tmp_path / "states"),
                                               "answer.few_shot": False, "index_dir": str(tmp_path / "index")})
    with Assistant.open(settings=settings, create=True) as first:
        assert first._get_llm() is not None and first.prefix_state == "saved"
    with Assistant.open(settings=settings) as second:  # the llama.cpp model is shared: the state is loaded into it
        second._get_llm()
        assert second.prefix_state == "loaded"
    with Assistant.open(settings=settings.with_overrides({"models.prefix_state": False})) as off:
        off._get_llm()
        assert off.prefix_state == "off"
