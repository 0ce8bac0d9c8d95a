"""The web chat's collections, through the `ChatUI` handlers (no browser): the chat's multi-select filters the
search, the Library table shows each article's collection, and deleting a collection removes its articles and
its choice."""
from __future__ import annotations

import pytest

from articleqa.settings import load_settings

QUESTION = "When was the Vantor bridge over the Quell river built?"

ARTICLES = {
    "a": {"vantor-a.md": "# Vantor bridge history\n\nThe Vantor bridge over the Quell river was built in 1851 by "
                         "the engineer Ilse Marrow. It has nine stone arches.\n",
          "orchard-a.md": "# Quillmere orchard\n\nThe Quillmere orchard grows forty kinds of pear.\n"},
    "b": {"vantor-b.md": "# Vantor bridge repairs\n\nThe Vantor bridge over the Quell river was rebuilt in 1988 "
                         "by the firm of Oskar Lindqvist after a flood.\n"},
}


@pytest.fixture(params=["faiss", "postgres"])
def ui(request, tmp_path):
    """A ChatUI on a small index with collections "a" (2 articles) and "b" (1), on either store backend."""
    from ingest import ingest_paths
    from interfaces.webui.ui import ChatUI

    overrides = {"index_dir": str(tmp_path / "index"), "answer.mode": "extractive"}
    if request.param == "postgres":
        overrides["store.url"] = request.getfixturevalue("pg_url")
    settings = load_settings().with_overrides(overrides)
    for name, files in ARTICLES.items():
        folder = tmp_path / name
        folder.mkdir()
        for fname, text in files.items():
            (folder / fname).write_text(text, encoding="utf-8")
        report = ingest_paths([folder], settings=settings, collection=name)
        assert report.added == len(files) and not report.failed, report.failed
    chat_ui = ChatUI(settings, seed_samples=False)
    assert type(chat_ui.app.base.store).__name__ == {"faiss": "FaissSqliteStore", "postgres": "PostgresStore"}[
        request.param]
    yield chat_ui
    chat_ui.app.base.close()


def _collection_of(ui) -> dict[str, str]:
    return {a["id"]: a["collection"] for a in ui.app.base.list_articles()}


def _answer(ui, collections, question=QUESTION):
    *_, last = ui.respond(question, [], "extractive", 5, collections)
    turns = last[1]
    assert len(turns) == 1 and turns[0]["answer"] is not None
    assert turns[0]["settings"]["collections"] == collections
    return turns[0]["answer"]


def test_selected_collection_limits_citations_and_passages(ui):
    coll = _collection_of(ui)
    for selected in (["b"], ["a"]):
        answer = _answer(ui, selected)
        assert answer.citations, answer.text
        assert {coll[c.article_id] for c in answer.citations} == set(selected)
        assert {coll[p.chunk.article_id] for p in answer.passages} == set(selected)
    everything = _answer(ui, [])  # empty selection: every collection
    assert {coll[p.chunk.article_id] for p in everything.passages} == {"a", "b"}


def test_library_shows_collections_and_deletes_one(ui):
    rows = ui.app.library_rows()
    assert sorted((r[0], r[1]) for r in rows) == [("Quillmere orchard", "a"), ("Vantor bridge history", "a"),
                                                  ("Vantor bridge repairs", "b")]
    _delete_dd, chat_dd = ui.refresh_collections(["a", "b"])
    assert [v for _, v in chat_dd["choices"]] == ["a", "b"] and chat_dd["value"] == ["a", "b"]
    assert chat_dd["choices"][0][0] == "a (2 articles)"

    status, rows, article_dd, delete_dd, chat_dd = ui.delete_collection("a", ["a", "b"])
    assert status == "Deleted collection a (2 articles)."
    assert [(r[0], r[1]) for r in rows] == [("Vantor bridge repairs", "b")]
    assert [v for _, v in article_dd["choices"]] == [rows[0][-1]]
    assert [v for _, v in delete_dd["choices"]] == ["b"] and [v for _, v in chat_dd["choices"]] == ["b"]
    assert chat_dd["value"] == ["b"]  # the deleted name leaves the chat's selection
    assert set(_collection_of(ui).values()) == {"b"}
    answer = _answer(ui, [])
    assert answer.passages and {p.chunk.article_id for p in answer.passages} == {rows[0][-1]}


def test_delete_collection_bad_input(ui):
    status, rows, *_ = ui.delete_collection("")
    assert status == "Choose a collection to delete." and len(rows) == 3
    status, rows, *_ = ui.delete_collection("no*such")
    assert status == "No collection named no&#42;such." and len(rows) == 3


def test_selecting_only_a_deleted_collection_says_nothing_matches(ui):
    ui.delete_collection("b")
    answer = _answer(ui, ["b"])
    assert answer.refused and not answer.citations
    assert "No article matches the filter (collection=b)" in " ".join([answer.text, *answer.notes])


def test_layout_has_the_controls_and_chat_api_keeps_its_defaults(ui):
    demo = ui.build()
    by_id = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert by_id["aq-collections"].multiselect and [v for _, v in by_id["aq-collections"].choices] == ["a", "b"]
    deleter = by_id["aq-delete-collection-choice"]
    assert [v for _, v in deleter.choices] == ["a", "b"] and deleter.value is None  # nothing chosen to delete
    assert by_id["aq-library"].headers[:2] == ["Title", "Collection"]
    params = demo.get_api_info()["named_endpoints"]["/chat"]["parameters"]
    collections = next(p for p in params if p["parameter_name"] == "collections")
    assert collections["parameter_has_default"]  # API clients that send (question, mode, top_k) still work
    params = demo.get_api_info()["named_endpoints"]["/ingest"]["parameters"]
    assert [p["parameter_has_default"] for p in params] == [False, True]  # (files) alone still works


def test_upload_into_a_named_collection(ui, tmp_path):
    art = tmp_path / "lighthouse.md"
    art.write_text("# Sorrel lighthouse\n\nThe Sorrel lighthouse was lit in 1903.\n", encoding="utf-8")
    status, rows, _choices, _cleared = ui.ingest_files([str(art)], None, "  c  ")
    assert "1 added" in status
    assert next(r for r in rows if r[0] == "Sorrel lighthouse")[1] == "c"
    _delete_dd, chat_dd = ui.refresh_collections(["a", "gone"])
    assert [v for _, v in chat_dd["choices"]] == ["a", "b", "c"] and chat_dd["value"] == ["a"]
    answer = _answer(ui, ["c"], "When was the Sorrel lighthouse lit?")
    assert answer.citations and "1903" in answer.text
