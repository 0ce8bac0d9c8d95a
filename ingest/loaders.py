"""Read input files into :class:`articleqa.types.Article` objects.

Formats (by extension): ``.txt`` (plain text, or a text dump with stray HTML fragments), ``.html``/``.htm``,
``.md``/``.markdown`` (cleaned by :func:`ingest.clean_document.clean_document`) and ``.jsonl`` (one already-clean article
a line: ``id``, ``title``, ``text``, optional ``source``, ``url``, ``date``, ``author``, ``lang``; its text is kept
as is apart from line endings). ``Article.date`` is the publication date as ISO 8601 at its precision
(:mod:`ingest.pubdate`; "" when the page or line gives none).

Every problem with a file is an :class:`ingest.errors.IngestError` whose message names the file and the problem in
one line: missing path, unsupported type, over the size limit, binary, undecodable, empty, nothing left after
cleaning, malformed JSONL line (with its line number).

JSONL with bad lines: the good lines are still ingested and each bad line is reported. Pass a list as
``errors=`` to collect the bad lines' errors and get the good articles back; without it, the first bad line
raises an ``IngestError`` whose ``partial`` attribute holds the file's good articles (all of them: the whole file
is read before raising), so a caller that only catches ``IngestError`` still loses nothing silently.
"""
from __future__ import annotations

import glob
import hashlib
import json
from pathlib import Path
from typing import Iterable

from articleqa.dates import parse_pub_date
from articleqa.settings import Settings
from articleqa.text import detect_lang
from articleqa.types import Article
from ingest.clean_document import clean_document
from ingest.decode import DecodeProblem, decode_bytes
from ingest.errors import IngestError
from ingest.formats import KINDS, SUPPORTED_EXTENSIONS  # noqa: F401 - re-exported: the loaders' own list
from ingest.pubdate import page_date

ID_CHARS = 16
_GLOB_CHARS = set("*?[")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_id(text_hash: str) -> str:
    """Stable id of an article: a prefix of its cleaned text's sha256 (same text, same id, wherever it lives)."""
    return text_hash[:ID_CHARS]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named by ``paths``: files as given, folders searched recursively for supported extensions (hidden
    files and folders skipped), glob patterns (``**`` allowed) expanded. Order kept, duplicates removed.
    A missing path, an empty glob or an unsupported file named directly is an ``IngestError``."""
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        p = Path(raw).expanduser()
        s = str(raw)
        if not p.exists() and _GLOB_CHARS & set(s):
            matches = sorted(glob.glob(str(p), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file() and Path(m).suffix.lower() in KINDS]
            for d in (Path(m) for m in matches if Path(m).is_dir()):
                files.extend(_walk(d))
            if not files:
                raise IngestError(s, f"no supported files match this pattern ({', '.join(SUPPORTED_EXTENSIONS)})")
            for f in files:
                add(f)
        elif p.is_dir():
            for f in _walk(p):
                add(f)
        elif p.is_file():
            if p.suffix.lower() not in KINDS:
                raise IngestError(p, f"unsupported file type {p.suffix or '(none)'!r} (supported: {', '.join(SUPPORTED_EXTENSIONS)})")
            add(p)
        elif p.exists():
            raise IngestError(p, "not a regular file")
        else:
            raise IngestError(p, "no such file or directory")
    return out


def _walk(d: Path) -> list[Path]:
    files = []
    for f in sorted(d.rglob("*")):
        rel = f.relative_to(d).parts
        if any(part.startswith(".") for part in rel):
            continue
        if f.is_file() and f.suffix.lower() in KINDS:
            files.append(f)
    return files


def read_text(path: Path, settings: Settings) -> str:
    """The file's text, decoded (see :mod:`ingest.decode`), after the size, binary and emptiness checks."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise IngestError(path, "no such file or directory") from None
    except OSError as e:
        raise IngestError(path, f"cannot read file ({e.strerror or e})") from None
    limit_mb = settings.index.max_file_mb
    if size > limit_mb * 1024 * 1024:
        raise IngestError(path, f"file is {size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IngestError(path, f"cannot read file ({e.strerror or e})") from None
    if not data:
        raise IngestError(path, "empty file")
    try:
        text, _encoding = decode_bytes(data)
    except DecodeProblem as e:
        raise IngestError(path, str(e)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestError(path, "empty file (only white space)")
    return text


_BYLINE_LABELS = {
    "zh-Hant": ("作者", "來源", "日期"),
    "zh-Hans": ("作者", "来源", "日期"),
    "en": ("By", "Source", "Date"),
}


def byline_paragraph(author: str, source: str, date: str, lang: str) -> str:
    """The byline, source and date as the article's first paragraph, so that they are indexed and citable
    ("who wrote this?") like any other sentence. Empty when the page named none of them."""
    labels = _BYLINE_LABELS.get(lang, _BYLINE_LABELS["en"])
    sep = ": " if lang == "en" else ":"
    parts = [f"{label}{' ' if label == 'By' else sep}{value}" for label, value in zip(labels, (author, source, date)) if value]
    return " | ".join(parts)


def load_path(path: str | Path, settings: Settings, errors: list[IngestError] | None = None) -> list[Article]:
    """Articles in one file (a page or text file gives one; a JSONL file one per line).

    Raises ``IngestError`` for a file that cannot be ingested. For JSONL bad lines see the module docstring:
    with ``errors`` given they are appended there (and the good articles returned); without it the first bad
    line raises, with the good articles in ``err.partial``. A JSONL file with no good line always raises.
    """
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise IngestError(path, f"unsupported file type {path.suffix or '(none)'!r} (supported: {', '.join(SUPPORTED_EXTENSIONS)})")
    text = read_text(path, settings)
    if kind == "jsonl":
        return _load_jsonl(path, text, errors)
    res = clean_document(text, kind, settings.clean)
    body = res.body.strip()
    if not body:
        raise IngestError(path, f"no article text left after cleaning ({len(res.dropped)} page elements removed)")
    title = res.title or path.stem
    lang = detect_lang(title + "\n" + body)
    # A date the extractor inferred (e.g. 2024-01-01 from "© 2024") is metadata, not something the page said.
    said = res.date if res.date in text else ""
    byline = byline_paragraph(res.author, res.source, said, lang)
    date = page_date(said, text, kind)
    if byline:
        body = f"{byline}\n\n{body}"
    h = content_hash(body)
    article = Article(
        id=article_id(h),
        title=title,
        text=body,
        source=res.source,
        url=res.url,
        date=date,
        author=res.author,
        lang=lang,
        path=str(path),
        content_hash=h,
        headings=list(res.headings),
    )
    return [article]


def _load_jsonl(path: Path, text: str, errors: list[IngestError] | None) -> list[Article]:
    articles: list[Article] = []
    bad: list[IngestError] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            articles.append(_jsonl_article(path, line))
        except IngestError as e:
            e.line = n
            bad.append(e)
        except json.JSONDecodeError as e:
            bad.append(IngestError(path, f"malformed JSON line ({e.msg} at column {e.colno})", line=n))
    if not articles:
        if bad:
            first = bad[0]
            more = f"; {len(bad) - 1} more bad line(s)" if len(bad) > 1 else ""
            raise IngestError(path, f"{first.problem}{more}", line=first.line)
        raise IngestError(path, "empty file (no JSON lines)")
    if bad:
        if errors is not None:
            errors.extend(bad)
        else:
            err = bad[0]
            if len(bad) > 1:
                err = IngestError(path, f"{err.problem}; {len(bad) - 1} more bad line(s)", line=err.line)
            err.partial = articles
            raise err
    return articles


def _field(obj: dict, name: str, path: Path) -> str:
    v = obj.get(name, "")
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    if not isinstance(v, str):
        raise IngestError(path, f"field {name!r} must be a string, not {type(v).__name__}")
    return v


def _date_field(obj: dict, path: Path) -> str:
    """The ``date`` field as ISO 8601 at its precision; a value that holds no date is an error, not "undated"."""
    raw = _field(obj, "date", path).strip()
    iso = parse_pub_date(raw)
    if raw and not iso:
        raise IngestError(path, f"field 'date': {raw[:40]!r} is not a date (e.g. 2018-03-05, 2018年3月5日, Mar 5, 2018)")
    return iso


def _jsonl_article(path: Path, line: str) -> Article:
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise IngestError(path, f"malformed JSON line (expected an object, got {type(obj).__name__})")
    if "text" in obj and obj["text"] is not None and not isinstance(obj["text"], str):
        raise IngestError(path, f"field 'text' must be a string, not {type(obj['text']).__name__}")
    body = _field(obj, "text", path).replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise IngestError(path, "article has no 'text'")
    title = _field(obj, "title", path).strip()
    h = content_hash(body)
    given_id = _field(obj, "id", path).strip()
    return Article(
        id=given_id or article_id(h),
        title=title or given_id or body.strip().split("\n", 1)[0][:60],
        text=body,
        source=_field(obj, "source", path),
        url=_field(obj, "url", path),
        date=_date_field(obj, path),
        author=_field(obj, "author", path),
        lang=_field(obj, "lang", path) or detect_lang(title + "\n" + body),
        path=str(path),
        content_hash=h,
    )
