"""Adding articles to an open assistant from the interface layer (`interfaces.library.ingest_into`): qa never
imports ingest; the assistant's write lock and refresh make the new article answerable at once."""
from __future__ import annotations

import threading

import pytest

from articleqa.settings import Settings
from interfaces.library import ingest_into
from qa import Assistant

LIGHTHOUSE = ("# The Pelican Bay Lighthouse\n\nThe Pelican Bay Lighthouse stands on a granite spit at the mouth of "
              "Pelican Bay. It was designed by the engineer Margaret Ellery and first lit in 1893.\n")
ORCHARD = ("# The Quillmere Orchard\n\nThe Quillmere orchard grows forty kinds of pear. The orchard was planted in "
           "1921 by the gardener Tobias Wren on the banks of the Quill river.\n")


@pytest.fixture
def assistant(tmp_path):
    settings = Settings(index_dir=tmp_path / "index")
    first = tmp_path / "lighthouse.md"
    first.write_text(LIGHTHOUSE, encoding="utf-8")
    a = Assistant.open(settings.index_dir, settings, create=True)
    assert ingest_into(a, [first]).added == 1
    yield a
    a.close()


def test_ingest_into_makes_the_article_retrievable_then_delete_removes_it(assistant, tmp_path):
    second = tmp_path / "orchard.md"
    second.write_text(ORCHARD, encoding="utf-8")
    report = ingest_into(assistant, [second])
    assert (report.added, report.failed) == (1, [])
    titles = {a["title"]: a["id"] for a in assistant.list_articles()}
    assert set(titles) == {"The Pelican Bay Lighthouse", "The Quillmere Orchard"}
    top = assistant.retrieve("Who planted the Quillmere orchard?", 1)[0]
    assert top.chunk.article_id == titles["The Quillmere Orchard"] and "Tobias Wren" in top.chunk.text

    assistant.delete_article(titles["The Quillmere Orchard"])
    assert [a["title"] for a in assistant.list_articles()] == ["The Pelican Bay Lighthouse"]
    assert all(p.chunk.article_id != titles["The Quillmere Orchard"]
               for p in assistant.retrieve("Who planted the Quillmere orchard?", 5))


def test_writing_holds_the_write_lock(assistant):
    """A delete waits while the interface layer writes through another handle."""
    article_id = assistant.list_articles()[0]["id"]
    deleter = threading.Thread(target=assistant.delete_article, args=(article_id,))
    with assistant.writing():
        deleter.start()
        deleter.join(timeout=1.0)
        assert deleter.is_alive()  # blocked on the lock
        assert [a["id"] for a in assistant.list_articles()] == [article_id]
    deleter.join(timeout=60)
    assert not deleter.is_alive() and assistant.list_articles() == []
