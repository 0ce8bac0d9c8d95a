"""Shared fixtures. ``pg_server``: ONE embedded PostgreSQL 18 + pgvector for the whole session (started on first
use, in a temporary folder, stopped at the end); ``pg_url``: a fresh empty database on it for one test."""
from __future__ import annotations

import itertools
import os

import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    from articleqa.store import pg_server as server

    data = tmp_path_factory.mktemp("pg") / "data"
    url = server.start(data)
    yield url
    server.stop(data)


@pytest.fixture
def pg_url(pg_server):
    from articleqa.store import pg_server as server

    return server.create_database(pg_server, f"t{os.getpid()}_{next(_counter)}")



# Tests that load the local LLM without a `slow` mark of their own (their module fixtures do).
_LLM = (
    "tests/test_no_answer_probe.py::",
    "tests/test_prefix_state.py::",
    "tests/test_reader_prefill.py::test_the_cached_prompt_head_is_reused",
    "tests/test_reader_prefill.py::test_the_answer_is_announced_whole_before_its_source",
    "tests/test_span_reader.py::test_on_topic_question_whose_fact_is_absent_is_refused[llm]",
)
# Tests that each take over about 10 CPU seconds, or write gigabytes: fuzzing, 100k-chunk stores, the torch
# embedder, killed ingests, CLI processes started cold, the GGUF file joined and rebuilt. `make test` runs them;
# `make test-fast` leaves them out.
_HEAVY = (
    "tests/test_clean_fuzz.py::",
    "tests/test_embedder.py::",
    "tests/test_embedder_onnx.py::test_graph_is_built_fast_cached_and_checked",
    "tests/test_embedder_onnx.py::test_tokens_match_sentence_transformers",
    "tests/test_embedder_onnx.py::test_fp32_gives_torch_vectors",
    "tests/test_embedder_onnx.py::test_int8_is_close_and_ranks_the_same",
    "tests/test_embedder_onnx.py::test_onnx_backend_never_imports_torch",
    "tests/test_ingest_kill.py::",
    "tests/test_no_torch.py::",
    "tests/test_store_filter_scale.py::",
    "tests/test_tiktoken_offline.py::",
    "tests/test_api_clients.py::test_keys_required_beyond_loopback",
    "tests/test_api_clients.py::test_ask_cli_against_the_server",
    # the reader's training command (twice), a whole `articleqa serve` process, the generated contract suites
    "tests/test_span_reader.py::test_training_command_runs_and_resumes",
    "tests/test_api_webui.py::test_one_process_serves_chat_and_api",
    "tests/test_contract_api.py::",
    "tests/test_contract_cli.py::",
    # these join, hash or rebuild the 1.1 GB GGUF file
    "tests/test_generator.py::test_join_produces_the_pinned_file",
    "tests/test_generator.py::test_verified_file_is_not_rehashed",
    "tests/test_generator.py::test_truncated_file_is_rebuilt",
    "tests/test_generator.py::test_same_size_corruption_with_new_mtime_is_rehashed_and_rebuilt",
    "tests/test_generator.py::test_touched_but_intact_file_is_rehashed_not_rebuilt",
    "tests/test_generator.py::test_models_command_lists_the_generator",
)


def pytest_collection_modifyitems(config, items):
    """Marks for `make test-fast` (``-m "not slow and not browser and not pg and not heavy"``), kept here in one
    place: ``pg`` on every test that uses the embedded PostgreSQL (the ``pg_url`` / ``pg_server`` fixtures, or a
    ``postgres`` backend parameter), ``slow`` on the tests in ``_LLM``, ``heavy`` on those in ``_HEAVY``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if {"pg_url", "pg_server"} & set(getattr(item, "fixturenames", ())) or \
                (callspec is not None and "postgres" in callspec.params.values()):
            item.add_marker(pytest.mark.pg)
        if item.nodeid.startswith(_LLM):
            item.add_marker(pytest.mark.slow)
        if item.nodeid.startswith(_HEAVY):
            item.add_marker(pytest.mark.heavy)
