"""An evaluation run's report: one dataclass, written as report.json, report.md and report.html.

``report.json`` is the record (compare.py reads it back); the Markdown and HTML files are for people. The HTML page
is self-contained: plots are inline SVG drawn here, no script, no external resource, every text escaped.
"""
from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from .metrics import Metric, QuestionResult, aggregate_all
from .metrics.evidence import chunk_is_hit, first_hit_rank
from .metrics.grounding import unsupported_in
from .metrics.latency import first_token_seconds, total_seconds
from .metrics.retrieval import KS
from . import plots
from .why import why

FORMAT_VERSION = 1
SNIPPET = 160
CONTEXT_CHARS = 400
WORST_N = 20


@dataclass
class Report:
    dataset: str
    mode: str
    n_questions: int  # questions asked (rows)
    n_planned: int  # questions selected before the run (more than n_questions when the run was interrupted)
    partial: bool = False
    created: str = ""
    elapsed_s: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> value, ci_low, ci_high, n, ...
    by_lang: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # what the run searched: store, backend, collections, n_articles, articles_files (eval.harness.searched_scope)
    searched: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    # ------------------------------------------------------------------ building

    @classmethod
    def from_results(
        cls,
        results: Sequence[QuestionResult],
        metrics: Sequence[Metric],
        *,
        mode: str,
        dataset: str = "",
        n_planned: int | None = None,
        partial: bool = False,
        elapsed_s: float = 0.0,
        settings: dict[str, Any] | None = None,
        models: dict[str, Any] | None = None,
        notes: Sequence[str] = (),
        seed: int = 0,
        searched: dict[str, Any] | None = None,
    ) -> "Report":
        overall, by_lang = aggregate_all(list(metrics), list(results), seed=seed)
        rows = [row_from_result(r) for r in results]
        return cls(
            dataset=dataset,
            mode=mode,
            n_questions=len(rows),
            n_planned=n_planned if n_planned is not None else len(rows),
            partial=partial,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            elapsed_s=round(float(elapsed_s), 3),
            settings=dict(settings or {}),
            models=dict(models or {}),
            metrics=overall,
            by_lang=by_lang,
            rows=rows,
            notes=list(notes),
            searched=dict(searched or {}),
        )

    # ------------------------------------------------------------------ (de)serialising

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})

    @classmethod
    def load(cls, path: str | Path) -> "Report":
        path = Path(path)
        if path.is_dir():
            path = path / "report.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a readable report.json ({e})") from e
        if not isinstance(data, dict) or "metrics" not in data:
            raise ValueError(f"{path}: not an eval report (no 'metrics')")
        return cls.from_dict(data)

    def value(self, metric: str) -> float | None:
        m = self.metrics.get(metric)
        return None if m is None else m.get("value")

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write report.json, report.md and report.html into ``out_dir``; returns their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
        _atomic_write(paths["json"], json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str))
        _atomic_write(paths["md"], render_markdown(self))
        _atomic_write(paths["html"], render_html(self))
        return paths

    # ------------------------------------------------------------------ helpers for the renderers

    def title(self) -> str:
        t = f"{self.dataset or 'eval'} · {self.mode}"
        return t + (" · PARTIAL" if self.partial else "")

    def worst(self, n: int = WORST_N) -> list[dict[str, Any]]:
        scored = [r for r in self.rows if r.get("primary") is not None]
        return sorted(scored, key=lambda r: (r["primary"], r.get("id", "")))[:n]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------------- rows


def primary_score(r: QuestionResult) -> float | None:
    """The one number the "worst questions" list sorts by: F1 (answer modes), refusal (unanswerable), MRR."""
    if r.mode == "retrieval":
        return r.values.get("mrr@10")
    if not r.answerable:
        return 1.0 if r.refused else 0.0
    v = r.values.get("f1")
    if v is None:
        return None
    # Long generated answers have low F1 even when right: a contained gold answer lifts it to at least 0.5.
    if r.values.get("answer_contains"):
        v = max(v, 0.5)
    return v


def row_from_result(r: QuestionResult) -> dict[str, Any]:
    a = r.answer
    row: dict[str, Any] = {
        "id": r.qid,
        "question": r.question,
        "lang": r.lang,
        "answerable": r.answerable,
        "gold": {
            "answers": list(r.answers),
            "article_id": r.article_id,
            "index_article_id": r.gold_article_id,
            "context_span": list(r.gold_span) if r.gold_span else None,
            "context": r.context[:CONTEXT_CHARS],
        },
        "answer": a.text if a else None,
        "short_answer": getattr(a, "short_answer", "") if a else None,
        "no_answer_p": getattr(a, "no_answer_p", None) if a else None,
        "span_p": getattr(a, "span_p", None) if a else None,
        "reader_margin": getattr(a, "reader_margin", None) if a else None,
        "answered_by": getattr(a, "answered_by", "") if a else None,
        "refused": r.refused,
        "answer_mode": a.mode if a else None,
        "notes": list(a.notes) if a else [],
        "citations": [],
        "retrieved": [
            {
                "rank": i,
                "chunk_id": p.chunk.id,
                "article_id": p.chunk.article_id,
                "span": [p.chunk.start, p.chunk.end],
                "score": _num(p.score),
                "dense": _num(p.dense_score),
                "keyword": _num(p.keyword_score),
                "hit": chunk_is_hit(r, p.chunk),
                "title": p.title,
                "snippet": p.chunk.text[:SNIPPET],
            }
            for i, p in enumerate(r.retrieved, start=1)
        ],
        "first_hit_rank": first_hit_rank(r) if r.answerable and r.answers else None,
        "metrics": {k: _num(v) for k, v in r.values.items()},
        "latency": {
            "total": _num(total_seconds(r)),
            "first_token": _num(first_token_seconds(r)),
            "wall": _num(r.elapsed),
            "timings": {k: _num(v) for k, v in (a.timings.items() if a else [])},
        },
        "tokens_in": a.tokens_in if a else 0,
        "tokens_out": a.tokens_out if a else 0,
        "error": r.error,
    }
    if a is not None:
        from .metrics.citations import citation_is_correct

        row["citations"] = [
            {
                "n": c.n,
                "article_id": c.article_id,
                "chunk_id": c.chunk_id,
                "span": [c.start, c.end],
                "quote": c.quote[:SNIPPET],
                "correct": citation_is_correct(r, c),
            }
            for c in a.citations
        ]
        if not a.refused and a.text.strip():
            row["unsupported_figures"] = unsupported_in(r)
    row["primary"] = _num(primary_score(r))
    row["why"] = why(row, r.mode)
    return row


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 6)


# ---------------------------------------------------------------------- formatting


NOT_MEASURED = "not measured"


def fmt_value(v: float | None, unit: str = "", fraction: bool = True) -> str:
    """A metric value; None (no question had what the metric needs) reads "not measured", never 0."""
    if v is None:
        return NOT_MEASURED
    if unit == "s":
        return f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"
    if fraction:
        return f"{v:.3f}"
    return f"{v:.1f}"


def fmt_ci(m: dict[str, Any]) -> str:
    lo, hi = m.get("ci_low"), m.get("ci_high")
    if lo is None or hi is None:
        return "–"
    unit, frac = m.get("unit", ""), m.get("fraction", True)
    return f"{fmt_value(lo, unit, frac)} – {fmt_value(hi, unit, frac)}"


def _md_cell(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _shorten(s: str | None, n: int = 120) -> str:
    s = (s or "").replace("\n", " ").strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def summary_lines(report: Report) -> list[str]:
    lines = [
        f"- questions: {report.n_questions}"
        + (f" of {report.n_planned} planned (**partial run, interrupted**)" if report.partial else ""),
        f"- mode: {report.mode}; elapsed: {report.elapsed_s:.1f} s; created: {report.created}",
    ]
    for k in ("embedder", "generator", "articleqa"):
        if report.models.get(k):
            lines.append(f"- {k}: {report.models[k]}")
    for n in report.notes:
        lines.append(f"- note: {n}")
    return lines


def render_markdown(report: Report) -> str:
    out = [f"# Eval report: {_md_cell(report.title())}", ""]
    out += summary_lines(report)
    out += ["", "## Metrics", "", "| metric | value | 95% CI | n |", "|---|---:|---:|---:|"]
    for name, m in report.metrics.items():
        arrow = "↑" if m.get("higher_is_better", True) else "↓"
        out.append(
            f"| {_md_cell(name)} {arrow} | {fmt_value(m.get('value'), m.get('unit', ''), m.get('fraction', True))}"
            f" | {fmt_ci(m)} | {m.get('n', 0)} |"
        )
    if len(report.by_lang) > 1 or report.by_lang:
        langs = list(report.by_lang)
        out += ["", "## By language", "", "| metric | " + " | ".join(langs) + " |", "|---|" + "---:|" * len(langs)]
        for name, m in report.metrics.items():
            cells = []
            for lang in langs:
                s = report.by_lang[lang].get(name, {})
                v = s.get("value")
                cells.append(f"{fmt_value(v, m.get('unit', ''), m.get('fraction', True))} (n={s.get('n', 0)})")
            out.append(f"| {_md_cell(name)} | " + " | ".join(cells) + " |")
    out += ["", "## Every question", "", "| id | question | answer | why |", "|---|---|---|---|"]
    for r in report.rows:
        ans = "(refused)" if r.get("refused") else _shorten(r.get("short_answer") or r.get("answer"), 80)
        out.append(f"| {_md_cell(r['id'])} | {_md_cell(_shorten(r['question'], 80))} | {_md_cell(ans)} | "
                   f"{_md_cell(r.get('why', ''))} |")
    worst = report.worst()
    out += ["", f"## The {len(worst)} worst questions", ""]
    for r in worst:
        out.append(f"### {_md_cell(r['id'])} ({r['lang']}) score {r['primary']:.3f}")
        out.append("")
        out.append(f"- question: {_md_cell(r['question'])}")
        golds = r["gold"]["answers"]
        out.append(f"- gold: {_md_cell(' / '.join(golds)) if golds else '(unanswerable)'}")
        if r.get("answer") is not None:
            out.append(f"- answer{' (refused)' if r.get('refused') else ''}: {_md_cell(_shorten(r['answer'], 300))}")
        if r.get("error"):
            out.append(f"- error: {_md_cell(r['error'])}")
        if r.get("unsupported_figures"):
            out.append(f"- unsupported figures: {_md_cell(', '.join(r['unsupported_figures']))}")
        out.append(f"- first strict hit at rank: {r.get('first_hit_rank') or 'none'}")
        out.append("- retrieved:")
        for p in r["retrieved"][:5]:
            mark = "HIT " if p["hit"] else ""
            out.append(
                f"  {p['rank']}. {mark}`{_md_cell(p['chunk_id'])}` {'' if p['score'] is None else format(p['score'], '.3f')}"
                f" — {_md_cell(_shorten(p['snippet'], 100))}"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}.q{border:1px solid #ddd;border-radius:4px;padding:.5em 1em;margin:1em 0}
.hit{color:#087f23;font-weight:bold}.partial{background:#fff3cd;padding:.5em 1em;border:1px solid #e0c36c}
.plots{display:flex;flex-wrap:wrap;gap:1.5em}.small{color:#666;font-size:90%}ol{margin:.2em 0}
"""


def render_html(report: Report) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title())}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Eval report: {e(report.title())}</h1>",
    ]
    if report.partial:
        parts.append(
            f'<p class="partial">Partial run: interrupted after {report.n_questions} of {report.n_planned}'
            " questions. The numbers cover the questions asked.</p>"
        )
    parts.append("<ul>" + "".join(f"<li>{e(line.lstrip('- '))}</li>" for line in summary_lines(report)) + "</ul>")
    parts += _html_metrics(report) + _html_plots(report) + _html_by_lang(report)
    parts.append(_question_table(report))
    worst = report.worst()
    parts.append(f"<h2>The {len(worst)} worst questions</h2>")
    for r in worst:
        parts += _html_question(r)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_metrics(report: Report) -> list[str]:
    e = html.escape
    parts = ["<h2>Metrics</h2><table><tr><th>metric</th><th>value</th><th>95% CI</th><th>n</th></tr>"]
    for name, m in report.metrics.items():
        arrow = "↑" if m.get("higher_is_better", True) else "↓"
        parts.append(
            f"<tr><td>{e(name)} {arrow} <span class=small>{e(m.get('label', ''))}</span></td>"
            f"<td>{e(fmt_value(m.get('value'), m.get('unit', ''), m.get('fraction', True)))}</td>"
            f"<td>{e(fmt_ci(m))}</td><td>{int(m.get('n', 0))}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _html_plots(report: Report) -> list[str]:
    parts = ['<h2>Plots</h2><div class="plots">']
    fr = [
        (name, m["value"], m.get("ci_low"), m.get("ci_high"))
        for name, m in report.metrics.items()
        if m.get("fraction", True) and m.get("value") is not None
    ]
    if fr:
        parts.append(plots.bar_chart_with_ci(fr, title="metrics with 95% CI"))
    curve = []
    for k in KS:
        m = report.metrics.get(f"hit@{k}")
        if m and m.get("value") is not None:
            curve.append((k, m["value"], m.get("ci_low"), m.get("ci_high")))
    if curve:
        parts.append(plots.line_chart(curve, title="hit@k", x_label="k"))
    lat = [r["latency"]["total"] for r in report.rows if r.get("latency", {}).get("total") is not None]
    if lat:
        parts.append(plots.histogram(lat, title="total latency (s)"))
    parts.append("</div>")
    return parts


def _html_by_lang(report: Report) -> list[str]:
    if not report.by_lang:
        return []
    e = html.escape
    langs = list(report.by_lang)
    parts = ["<h2>By language</h2><table><tr><th>metric</th>",
             "".join(f"<th>{e(lang)}</th>" for lang in langs) + "</tr>"]
    for name, m in report.metrics.items():
        parts.append(f"<tr><td>{e(name)}</td>")
        for lang in langs:
            s = report.by_lang[lang].get(name, {})
            v = fmt_value(s.get("value"), m.get("unit", ""), m.get("fraction", True))
            parts.append(f"<td>{e(v)} <span class=small>n={int(s.get('n', 0))}</span></td>")
        parts.append("</tr>")
    parts.append("</table>")
    return parts


def _html_question(r: dict) -> list[str]:
    """One of the worst questions: question, gold, answer, problems, the top five passages."""
    e = html.escape
    golds = r["gold"]["answers"]
    parts = ['<div class="q">',
             f"<h3>{e(str(r['id']))} <span class=small>({e(r['lang'])}) score {r['primary']:.3f}</span></h3>",
             f"<p><b>Question:</b> {e(r['question'])}<br><b>Gold:</b> ",
             e(" / ".join(golds)) if golds else "<i>(unanswerable)</i>"]
    if r.get("answer") is not None:
        refused = " (refused)" if r.get("refused") else ""
        parts.append(f"<br><b>Answer{refused}:</b> {e(_shorten(r['answer'], 600))}")
    if r.get("error"):
        parts.append(f"<br><b>Error:</b> {e(r['error'])}")
    if r.get("unsupported_figures"):
        parts.append(f"<br><b>Unsupported figures:</b> {e(', '.join(r['unsupported_figures']))}")
    parts.append(f"<br><b>First strict hit at rank:</b> {e(str(r.get('first_hit_rank') or 'none'))}</p>")
    if r["retrieved"]:
        parts.append("<ol>")
        for p in r["retrieved"][:5]:
            cls = ' class="hit"' if p["hit"] else ""
            score = "" if p["score"] is None else f"{p['score']:.3f}"
            parts.append(
                f"<li{cls}><code>{e(p['chunk_id'])}</code> {e(score)} {'HIT ' if p['hit'] else ''}"
                f"<span class=small>{e(_shorten(p['snippet'], 140))}</span></li>"
            )
        parts.append("</ol>")
    parts.append("</div>")
    return parts


def _question_table(report: Report) -> str:
    """Every question with its gold, answer and why it scored as it did."""
    e = html.escape
    parts = ["<h2>Every question</h2><table><tr><th>id</th><th>question</th><th>gold</th><th>answer</th>"
             "<th>why</th></tr>"]
    for r in report.rows:
        golds = " / ".join(r["gold"]["answers"]) or "(unanswerable)"
        ans = "(refused)" if r.get("refused") else _shorten(r.get("short_answer") or r.get("answer"), 120)
        parts.append(f"<tr><td>{e(str(r['id']))}</td><td>{e(_shorten(r['question'], 120))}</td>"
                     f"<td>{e(golds)}</td><td>{e(ans)}</td><td>{e(r.get('why', ''))}</td></tr>")
    parts.append("</table>")
    return "".join(parts)
