"""The web chat in a real browser: Playwright for Python driving Debian's Chromium (`chromium` on the PATH; `make test`
installs it). Never `playwright install`: nothing is downloaded."""
from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from interfaces.webui.feedback import FeedbackStore, feedback_path  # noqa: E402
from interfaces.webui.testing import XSS_ARTICLE, XSS_QUESTION, running_app, sample_server  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "chromium"  # Debian's, from PATH
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
REPO = Path(__file__).resolve().parents[1]
SEED_Q = "京東金融在哪一年實現單季盈利?"
SEED_TITLE = "京東金融實現單季盈利 千億級科技公司如何煉成?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with sample_server(tmp_path_factory, "browser", **{"answer.mode": "llm"}) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (the Makefile's test target does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def dated_server(tmp_path_factory):
    """The web chat over the small dated collection of tests/data/time, extractive mode by default."""
    from tests.store_helpers import dated_news_settings

    with running_app(dated_news_settings(tmp_path_factory.mktemp("dated"))) as srv:
        yield srv


def open_page(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    pg.wait_for_selector("#aq-input textarea", timeout=60_000)
    pg.js_errors = errors
    return ctx, pg


@pytest.fixture
def page(browser, server):
    ctx, pg = open_page(browser, server[0])
    yield pg
    ctx.close()


@pytest.fixture
def dated_page(browser, dated_server):
    ctx, pg = open_page(browser, dated_server[0])
    yield pg
    ctx.close()


def choose_mode(page, label: str) -> None:
    if not page.is_visible("#aq-mode"):
        page.get_by_text("Answer settings").click()
    page.locator("#aq-mode label", has_text=label).click()


def ask(page, question: str) -> dict:
    """Type a question, press Enter, watch the bubble until the answer is complete; returns what was seen."""
    page.fill("#aq-input textarea", question)
    page.keyboard.press("Enter")
    bot = page.locator("#aq-chat .bot").last
    partials: list[str] = []
    saw_cursor = False
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if page.locator("#aq-chat .aq-cursor").count():
            saw_cursor = True
            text = bot.inner_text() if bot.count() else ""
            if text and (not partials or partials[-1] != text):
                partials.append(text)
        elif page.locator("#aq-chat .aq-meta, #aq-chat .aq-refused").count():
            break
        time.sleep(0.05)
    else:
        pytest.fail("no answer within 600 s")
    return {"saw_cursor": saw_cursor, "partials": partials, "final": bot.inner_text()}


@pytest.mark.slow
def test_ask_seed_question_streams_cited_answer(page, server, tmp_path):
    """The default (local LLM) mode: the answer streams, carries [n] markers, the sources panel shows the cited
    passage with its span highlighted, and opening the source shows the article scrolled to that span."""
    seen = ask(page, SEED_Q)
    assert seen["saw_cursor"], seen  # the streaming bubble was shown before the answer was complete
    print(f"streamed states seen: {len(seen['partials'])}; final: {seen['final']!r}")
    assert "2017" in seen["final"], seen
    cite = page.locator("#aq-chat .aq-cite").first
    assert cite.is_visible()
    n = cite.inner_text().strip("[]")

    card = page.locator(f"#aq-sources .aq-card[data-choice='c{n}']")
    assert card.is_visible()
    assert SEED_TITLE in card.locator(".aq-title").inner_text()
    hl = card.locator("mark.aq-hl")
    assert hl.is_visible() and len(hl.inner_text().strip()) > 5

    card.click()  # a card opens its article (selects the matching "Open a source" choice)
    target = page.locator("#aq-article mark#aq-target")
    target.wait_for(state="visible", timeout=30_000)
    assert hl.inner_text().strip()[:10] in target.inner_text()
    page.wait_for_timeout(500)
    # The article box is scrolled so that the highlighted passage is inside its visible area.
    inside = page.evaluate("""() => {
        const m = document.getElementById('aq-target'); const box = m.closest('.aq-article-body');
        const a = m.getBoundingClientRect(), b = box.getBoundingClientRect();
        return a.top >= b.top - 1 && a.top <= b.bottom; }""")
    assert inside
    body_text = page.locator("#aq-article .aq-article-body").inner_text()
    assert len(body_text) > 2000  # the whole article, not only the passage

    # Thumbs up with a comment is stored with the question, answer and citations.
    page.get_by_text("Was the latest answer helpful?").click()
    page.fill("#aq-comment textarea", "clear and cited")
    page.click("#aq-up")
    page.wait_for_selector("#aq-feedback-status:has-text('feedback saved')", timeout=30_000)

    shot = tmp_path / "screenshot.png"
    page.get_by_text("Was the latest answer helpful?").click()  # fold it again for a tidy picture
    page.wait_for_timeout(300)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("ARTICLEQA_UPDATE_SCREENSHOT"):  # refresh the README's picture on request only
        shutil.copyfile(shot, REPO / "docs" / "screenshot.png")

    rows = list(FeedbackStore(feedback_path(server[1].articleqa.settings.index_dir)))
    assert rows and rows[-1]["rating"] == 1 and rows[-1]["comment"] == "clear and cited"
    assert rows[-1]["question"] == SEED_Q and rows[-1]["citations"]
    assert rows[-1]["settings"]["mode"] == "llm"
    assert not page.js_errors, page.js_errors


def test_upload_xss_article_renders_as_text(page, server, tmp_path):
    """Upload through the Library tab, then ask in extractive mode: nothing from the article runs in the page."""
    f = tmp_path / "xss.jsonl"
    f.write_text(json.dumps(XSS_ARTICLE, ensure_ascii=False) + "\n", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.locator("#aq-upload input[type=file]").set_input_files(str(f))
    page.wait_for_timeout(500)
    page.click("#aq-ingest")
    page.wait_for_selector("#aq-library-status:has-text('added')", timeout=300_000)
    assert "Zorblax festival <script>" in page.locator("#aq-library").inner_text()

    page.get_by_role("tab", name="Chat").click()
    choose_mode(page, "Extractive")
    seen = ask(page, XSS_QUESTION)
    assert "Vantreck" in seen["final"] and "Zorblax" in page.locator("#aq-sources").inner_text()
    page.locator("#aq-sources .aq-card").first.click()
    page.locator("#aq-article mark#aq-target").wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)

    article_text = page.locator("#aq-article").inner_text()
    assert "<script>window.__xss=1</script>" in article_text  # shown as text
    assert '<img src=x onerror="window.__xss=2">' in article_text
    flags = page.evaluate("""() => [window.__xss, window.__xss_title, window.__xss_source, window.__xss_url]""")
    assert flags == [None, None, None, None], flags
    for sel in ("#aq-chat", "#aq-sources", "#aq-article", "#aq-library"):
        assert page.locator(f"{sel} script, {sel} img[src='x'], {sel} svg[onload]").count() == 0, sel
        assert page.locator(f"{sel} a[href^='javascript']").count() == 0, sel
    assert not page.js_errors, page.js_errors


def test_stop_retry_clear(page):
    """Stop an answer in progress (local LLM mode), retry it in extractive mode, then clear the conversation."""
    choose_mode(page, "Local LLM")
    page.fill("#aq-input textarea", "京東白條是什麼時候推出的?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#aq-chat .aq-cursor", timeout=60_000)
    page.click("#aq-stop")
    page.wait_for_selector("#aq-chat :text('Stopped.')", timeout=30_000)
    assert page.locator("#aq-chat .aq-cursor").count() == 0
    assert page.locator("#aq-chat .user").count() == 1  # the question stays, marked as stopped

    choose_mode(page, "Extractive")
    page.click("#aq-retry")
    page.wait_for_selector("#aq-chat .aq-meta", timeout=300_000)
    assert page.locator("#aq-chat .user").count() == 1 and page.locator("#aq-chat .bot").count() == 1
    assert "Stopped." not in page.locator("#aq-chat").inner_text()
    assert "2014" in page.locator("#aq-chat .bot").last.inner_text()
    assert page.locator("#aq-sources .aq-card").count() >= 1

    page.click("#aq-clear")
    page.wait_for_function("() => document.querySelectorAll('#aq-chat .message').length === 0", timeout=30_000)
    assert page.locator("#aq-sources .aq-card").count() == 0
    assert not page.js_errors, page.js_errors


def test_as_of_date_range_and_bad_dates(dated_page):
    """The date controls: "last year" read against the as-of day typed in, the source card showing its article's
    publication date, a publication-date range leaving an article out, and a bad date answered in one line."""
    page = dated_page
    field = {k: page.locator(f"#aq-{k} input, #aq-{k} textarea").first for k in ("as-of", "date-from", "date-to")}
    today = date.today().isoformat()  # the browser's today, set when the page loads
    page.wait_for_function(f"() => document.querySelector('#aq-as-of input').value === '{today}'", timeout=30_000)
    field["as-of"].fill("2024-11-12")
    seen = ask(page, "How many passengers did the Orlen ferry carry last year?")
    assert "18,400" in seen["final"] and "2023-01-01" in seen["final"], seen  # the note: last year = 2023
    card = page.locator("#aq-sources .aq-card").first
    assert "Orlen ferry figures for 2023" in card.inner_text() and "2023-10-04" in card.inner_text()

    page.click("#aq-clear")
    field["date-from"].fill("2021-01-01")
    seen = ask(page, "Which bridge did the Tamsel council repaint?")
    sources = page.locator("#aq-sources").inner_text()
    assert "Mill bridge" in seen["final"] and "2022-06-10" in sources, (seen, sources)
    assert "Weir" not in seen["final"] + sources and "2019-05-02" not in sources  # published before the range

    field["date-to"].fill("2020-02-30")
    page.fill("#aq-input textarea", "Which bridge did the Tamsel council repaint?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#aq-chat .aq-note:has-text('is not a date')", timeout=30_000)
    assert "Published to: '2020-02-30' is not a date" in page.locator("#aq-chat .bot").last.inner_text()
    assert not page.js_errors, page.js_errors
