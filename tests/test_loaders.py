"""Loading files: formats, encodings, bad input (each error names the file and the problem in one line)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from articleqa.settings import Settings
from ingest.errors import IngestError
from ingest.loaders import content_hash, expand_paths, load_path
from tests.datapaths import SEED_PAGE, dataset_file

SEED = SEED_PAGE


@pytest.fixture(scope="module")
def settings():
    return Settings()


def one_line(err: IngestError) -> str:
    s = str(err)
    assert "\n" not in s
    return s


# --- formats --------------------------------------------------------------------------------------------------

def test_seed_article(settings):
    [a] = load_path(SEED, settings)
    assert a.title == "京東金融實現單季盈利 千億級科技公司如何煉成?"
    assert a.author == "周琦"
    assert a.source == "中國經濟周刊"
    assert a.date == "2018"  # 2018年第5期: an issue of the year (ISO at its precision)
    assert a.lang == "zh-Hant"
    assert a.path == str(SEED)
    # The byline comes first, as its own paragraph, so "who wrote this?" is answerable from the index.
    byline, lede = a.text.split("\n\n")[:2]
    assert byline == "作者:周琦 | 來源:中國經濟周刊 | 日期:2018年第5期"
    assert lede.startswith("“我們的定位非常明確")
    assert a.text.endswith("劉強東給京東金融定下的未來目標。")
    assert "\n\n服務20萬中小微企業,估值超千億\n\n" in a.text
    assert a.headings[0] == "服務20萬中小微企業,估值超千億" and len(a.headings) == 3
    assert a.content_hash == content_hash(a.text)
    assert a.id == a.content_hash[:16]


def test_id_is_stable_and_content_based(settings, tmp_path):
    [a] = load_path(SEED, settings)
    copy = tmp_path / "elsewhere.txt"
    copy.write_bytes(SEED.read_bytes())
    [b] = load_path(copy, settings)
    assert (a.id, a.content_hash) == (b.id, b.content_hash)
    other = tmp_path / "other.txt"
    other.write_text("標題\n\n" + "這是另一篇完全不同的文章內容。" * 5, encoding="utf-8")
    [c] = load_path(other, settings)
    assert c.id != a.id


def test_jsonl_dev_articles_kept_as_is(settings):
    path = dataset_file("drcd")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    arts = load_path(path, settings)
    assert len(arts) == len(rows) == 40
    for row, a in zip(rows, arts):
        assert a.id == row["id"]
        assert a.title == row["title"]
        assert a.text == row["text"]
        assert a.lang == row["lang"]
        assert a.content_hash == content_hash(row["text"])


def test_jsonl_line_endings_normalised_and_defaults(settings, tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps({"title": "T", "text": "line one\r\nline two\r\n\r\nnext"}) + "\n", encoding="utf-8")
    [a] = load_path(p, settings)
    assert a.text == "line one\nline two\n\nnext"
    assert a.id == content_hash(a.text)[:16]
    assert a.lang == "en"


def test_html_and_markdown_files(settings, tmp_path):
    h = tmp_path / "page.html"
    h.write_text("<html><head><title>Old mill reopens | Valley Times</title></head><body><nav><a href='/'>Home</a>"
                 "</nav><h1>Old mill reopens</h1><p>The old mill on the river reopened on Friday as a museum, after "
                 "six years of repairs.</p><footer>© 2024 Valley Times</footer></body></html>", encoding="utf-8")
    [a] = load_path(h, settings)
    assert a.title == "Old mill reopens"
    assert a.text == ("Source: Valley Times\n\n"
                      "The old mill on the river reopened on Friday as a museum, after six years of repairs.")
    assert a.source == "Valley Times"
    m = tmp_path / "note.md"
    m.write_text("# 標題\n\n這是一段**重要**的內容，說明了[細節](http://x)。\n", encoding="utf-8")
    [b] = load_path(m, settings)
    assert b.title == "標題"
    assert b.text == "這是一段重要的內容，說明了細節。"


# --- encodings ------------------------------------------------------------------------------------------------

def _encodable(text: str, encoding: str) -> str:
    return "".join(c for c in text if c.encode(encoding, errors="ignore"))


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""),
    ("utf-8", b"\xef\xbb\xbf"),
    ("utf-16", b""),  # Python's utf-16 codec writes a BOM
    ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff"),
    ("gb18030", b""),
    ("gbk", b""),
    ("big5", b""),
    ("cp950", b""),
])
def test_seed_in_each_encoding(settings, tmp_path, encoding, bom):
    text = SEED.read_text(encoding="utf-8")
    # The seed's bullet "•" has no Big5 code of its own (the codec maps it to "‧") and a few of its characters
    # are not in GBK: test with the part of the text the encoding can represent exactly.
    text = text.replace("•", "")
    text = _encodable(text, encoding)
    assert len(text) > 3000
    p = tmp_path / f"seed-{encoding}.txt"
    p.write_bytes(bom + text.encode(encoding, errors="strict"))
    [a] = load_path(p, settings)
    [ref] = load_path(_write(tmp_path / "ref.txt", text.encode("utf-8")), settings)
    assert a.text == ref.text
    assert a.title == ref.title == "京東金融實現單季盈利 千億級科技公司如何煉成?"
    assert a.author == "周琦"


@pytest.mark.parametrize("dataset,encoding", [("drcd", "big5"), ("drcd", "gb18030"), ("cmrc2018", "gbk"),
                                              ("cmrc2018", "gb18030")])
def test_dev_articles_in_legacy_encodings(settings, tmp_path, dataset, encoding):
    rows = [json.loads(x) for x in dataset_file(dataset).read_text("utf-8").splitlines()[:5]]
    for i, row in enumerate(rows):
        text = _encodable(row["title"] + "\n\n" + row["text"], encoding)
        p = _write(tmp_path / f"{i}.txt", text.encode(encoding))
        [a] = load_path(p, settings)
        [ref] = load_path(_write(tmp_path / f"{i}-utf8.txt", text.encode("utf-8")), settings)
        assert a.text == ref.text, (dataset, encoding, i)


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("data", [
    "Café au lait, naïve résumé, Ångström über die Straße. ".encode("latin-1") * 4,
    "日本語のテキストです。これはテストの文章です。".encode("shift_jis"),
    "Привет мир, это проверка кодировки текста.".encode("koi8-r"),
])
def test_undecodable_is_an_error_not_mojibake(settings, tmp_path, data):
    p = _write(tmp_path / "x.txt", data)
    with pytest.raises(IngestError) as e:
        load_path(p, settings)
    msg = one_line(e.value)
    assert msg.startswith(f"{p}: cannot decode")


# --- bad input ------------------------------------------------------------------------------------------------

def test_empty_and_whitespace_files(settings, tmp_path):
    for name, data in [("empty.txt", b""), ("blank.txt", b" \n\t\r\n  \n"), ("blank.jsonl", b"\n\n"),
                       ("bom.md", b"\xef\xbb\xbf  \n")]:
        p = _write(tmp_path / name, data)
        with pytest.raises(IngestError) as e:
            load_path(p, settings)
        assert one_line(e.value).startswith(f"{p}: empty file")


def test_nothing_left_after_cleaning(settings, tmp_path):
    p = tmp_path / "junk.html"
    p.write_text("<html><body><nav><a href='/'>Home</a><a href='/a'>About</a></nav><div class='share'>分享到：微信 微博"
                 "</div><footer>© 2024 Example</footer><script>alert(1)</script></body></html>", encoding="utf-8")
    with pytest.raises(IngestError) as e:
        load_path(p, settings)
    assert "no article text left after cleaning" in one_line(e.value)


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    b"PK\x03\x04" + bytes(range(1, 32)) * 50,
])
def test_binary_files(settings, tmp_path, data):
    p = _write(tmp_path / "image.txt", data)
    with pytest.raises(IngestError) as e:
        load_path(p, settings)
    assert one_line(e.value).startswith(f"{p}: binary file")


def test_huge_file(settings, tmp_path):
    p = tmp_path / "huge.txt"
    with open(p, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing written
    with pytest.raises(IngestError) as e:
        load_path(p, settings)
    assert one_line(e.value) == f"{p}: file is 50.0 MB, over the 20 MB limit"
    small_limit = settings.with_overrides({"index.max_file_mb": 0.001})
    q = _write(tmp_path / "two-kb.txt", b"x" * 2048)
    with pytest.raises(IngestError) as e:
        load_path(q, small_limit)
    assert "file is 0.0 MB, over the 0.001 MB limit" in str(e.value)


def test_malformed_jsonl_line(settings, tmp_path):
    p = tmp_path / "arts.jsonl"
    good = [{"id": f"a{i}", "title": f"T{i}", "text": f"Article number {i} has some text."} for i in range(4)]
    lines = [json.dumps(good[0]), json.dumps(good[1]), '{"id": "bad", "title": "x" "text": "y"}',
             "", json.dumps(good[2]), '{"id": "empty", "text": ""}', json.dumps(good[3])]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    errors: list[IngestError] = []
    arts = load_path(p, settings, errors=errors)
    assert [a.id for a in arts] == ["a0", "a1", "a2", "a3"]
    assert [e.line for e in errors] == [3, 6]
    msg = one_line(errors[0])
    assert msg.startswith(f"{p}:3: malformed JSON line (Expecting ',' delimiter")
    assert one_line(errors[1]) == f"{p}:6: article has no 'text'"

    with pytest.raises(IngestError) as e:
        load_path(p, settings)
    assert str(e.value).startswith(f"{p}:3: malformed JSON line")
    assert "1 more bad line" in str(e.value)
    assert [a.id for a in e.value.partial] == ["a0", "a1", "a2", "a3"]


def test_jsonl_all_bad(settings, tmp_path):
    p = _write(tmp_path / "bad.jsonl", b'[1, 2]\n{"text": 5}\n')
    with pytest.raises(IngestError) as e:
        load_path(p, settings, errors=[])
    assert one_line(e.value).startswith(f"{p}:1: malformed JSON line (expected an object")


def test_unsupported_and_missing(settings, tmp_path):
    pdf = _write(tmp_path / "x.pdf", b"%PDF-1.4")
    with pytest.raises(IngestError) as e:
        load_path(pdf, settings)
    assert "unsupported file type '.pdf'" in one_line(e.value)
    with pytest.raises(IngestError) as e:
        load_path(tmp_path / "nope.txt", settings)
    assert one_line(e.value) == f"{tmp_path / 'nope.txt'}: no such file or directory"


# --- expand_paths ---------------------------------------------------------------------------------------------

def test_expand_paths(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    files = ["a.txt", "b.html", "sub/c.md", "sub/deeper/d.jsonl", "sub/e.htm"]
    for f in files:
        (tmp_path / f).write_text("x", encoding="utf-8")
    for f in ["notes.pdf", "sub/img.png", ".hidden/h.txt", ".dot.txt"]:
        (tmp_path / f).write_text("x", encoding="utf-8")
    got = expand_paths([tmp_path])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in got) == sorted(files)
    # globs, recursive globs, duplicates removed, order kept
    got = expand_paths([str(tmp_path / "*.txt"), str(tmp_path / "**" / "*.md"), tmp_path / "a.txt"])
    assert [p.name for p in got] == ["a.txt", "c.md"]
    with pytest.raises(IngestError) as e:
        expand_paths([tmp_path / "missing"])
    assert one_line(e.value) == f"{tmp_path / 'missing'}: no such file or directory"
    with pytest.raises(IngestError) as e:
        expand_paths([str(tmp_path / "*.docx")])
    assert "no supported files match" in one_line(e.value)
    with pytest.raises(IngestError) as e:
        expand_paths([tmp_path / "notes.pdf"])
    assert "unsupported file type '.pdf'" in one_line(e.value)


def test_error_format():
    assert str(IngestError("data/x.jsonl", "malformed JSON line (Expecting ',' ...)", line=17)) == \
        "data/x.jsonl:17: malformed JSON line (Expecting ',' ...)"
    assert str(IngestError(Path("a.txt"), "binary file\n(NUL bytes)")) == "a.txt: binary file (NUL bytes)"
