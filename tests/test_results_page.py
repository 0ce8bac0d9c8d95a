"""docs/results.md is written from the reports it cites: stale figures fail here, and a report no page cites is a
report that should have gone (git history keeps superseded rounds)."""
from __future__ import annotations

from eval.results_page import REPORTS, read_report, results_markdown
from tests.datapaths import REPO


def test_results_page_is_current():
    page = (REPO / "docs" / "results.md").read_text(encoding="utf-8")
    assert page == results_markdown(), "docs/results.md is stale: run `python -m eval.results_page > docs/results.md`"


def test_every_kept_report_is_cited():
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "docs").rglob("*.md")
                     if "eval-reports" not in p.parts)
    docs += (REPO / "README.md").read_text(encoding="utf-8")
    uncited = [p.name for p in REPORTS.iterdir() if f"eval-reports/{p.name}" not in docs]
    assert not uncited, f"reports no page cites (delete them, or cite them): {uncited}"


def test_report_metrics_are_read_with_their_intervals():
    metrics, created = read_report(REPORTS / "answers-r9-squad1-llm" / "report.md")
    assert created == "2026-12-06"
    assert metrics["answer_contains"].value == "0.725" and metrics["answer_contains"].n == 200
    assert metrics["first_token_p50"].value == "1930 ms"


def test_readme_figures_are_the_results_pages():
    """Every figure in the README's results section is on docs/results.md: one value per figure."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Results", 1)[1].split("\n## ", 1)[0]
    page = (REPO / "docs" / "results.md").read_text(encoding="utf-8")
    figures = re.findall(r"(?<![\d.])\d\.\d{2,3}(?![\d.])|\d+\.\d s", section)
    assert len(figures) > 20
    missing = [f for f in figures if f not in page]
    assert not missing, f"README figures not on docs/results.md: {missing}"


def test_links_between_pages_resolve():
    import re

    pages = [REPO / "README.md", *(p for p in (REPO / "docs").rglob("*.md") if "eval-reports" not in p.parts)]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")) and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert not broken, broken
