"""The `dedupe report` page in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by selenium through /usr/bin/chromedriver; nothing is
downloaded): it opens from disk without a single network request, the search filters
the list, an article shows its removals struck through, a cluster shows its word diff.
A screenshot is written under pytest's tmp dir. Skipped when Chromium is not installed
(``.ci/run`` installs it)."""

from __future__ import annotations

import difflib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .data import BBC, need
from .report_corpus import BOILERPLATE, Run, shared_run
from .test_cli import assert_ok, clean
from .test_report_html import invoke, page_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,860",
]  # fmt: skip

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return shared_run(tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_manager(self: object, args: list[str]) -> dict[str, str]:
        raise AssertionError("selenium-manager must not be used (it downloads drivers)")

    profile = tempfile.mkdtemp(prefix="dedupe-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    saved = SeleniumManager.binary_paths
    SeleniumManager.binary_paths = no_manager  # type: ignore[method-assign]
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    finally:
        SeleniumManager.binary_paths = saved  # type: ignore[method-assign]
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _requests(driver: Any) -> list[tuple[str, str]]:
    """(URL, URL of the document that asked) of every request since the last call."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            sent.append((params["request"]["url"], params.get("documentURL", "")))
    return sent


def _wait(driver: Any, condition: Any, timeout: float = 10) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(lambda d: condition(d))


def _ids(driver: Any) -> list[str]:
    """The ids in the article list as shown."""
    ids: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('#list li .id')).map(e => e.textContent)"
    )
    return ids


def _open(driver: Any, page: Path, fragment: str = "") -> None:
    driver.get(page.as_uri() + fragment)
    _wait(driver, lambda d: d.execute_script("return document.body.dataset.ready") == "1")


def _visible(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def test_page_in_chromium(run: Run, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    assert_ok(invoke("report", run.report, "--input", run.src, "-o", page))
    data = page_data(page.read_text(encoding="utf-8"))
    _requests(browser)  # drop what came before
    _open(browser, page)

    # the overview, with its plots; no error on the console
    assert "dedupe report" in browser.title
    assert len(_visible(browser, "#view-overview svg.plot")) >= 5
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []

    # the list, filtered by typing in the search box
    browser.find_element(By.CSS_SELECTOR, 'nav a[data-view="articles"]').click()
    in_report = [d for d in data["docs"] if d[5] & 1]
    _wait(browser, lambda d: len(_visible(d, "#list li")) == len(in_report))
    box = browser.find_element(By.ID, "q")
    box.send_keys("b0")
    expected = [d[0] for d in in_report if "b0" in d[0]]
    assert len(expected) == len(run.boiler_docs)
    _wait(browser, lambda d: _ids(d) == expected)
    box.clear()
    box.send_keys("no article is called this")
    _wait(browser, lambda d: not _visible(d, "#list li"))
    assert "0 articles shown" in browser.find_element(By.ID, "count").text
    box.clear()
    box.send_keys(" ")  # clear() sends no input event: type, then delete
    box.send_keys("\b")
    _wait(browser, lambda d: len(_visible(d, "#list li")) == len(in_report))

    # the rule filter, then one article: its repeated paragraph struck through
    Select(browser.find_element(By.ID, "f-rule")).select_by_visible_text("paragraph")
    _wait(browser, lambda d: len(_visible(d, "#list li")) == 1)
    _visible(browser, "#list li")[0].click()
    _wait(browser, lambda d: _visible(d, "#doc del.rm"))
    struck = _visible(browser, "#doc del.rm")
    row = next(r for r in run.rows() if r["doc"] == run.paragraph_doc)
    assert [e.get_attribute("textContent") for e in struck] == [row["text"]]
    assert "r-paragraph" in struck[0].get_attribute("class")
    assert "line-through" in struck[0].value_of_css_property("text-decoration-line")
    assert struck[0].get_attribute("title").startswith("paragraph · score 1.00")
    # the segment it repeats is marked, and the link in the table goes to it
    target = browser.find_element(By.ID, f"seg-{row['matched_segment']}")
    assert target.get_attribute("textContent") == row["text"]
    browser.save_screenshot(str(tmp_path / "article.png"))

    # a dropped article links to its cluster, which shows the word diff
    browser.get(page.as_uri() + "#clusters")
    _wait(browser, lambda d: _visible(d, "#clist li"))
    _visible(browser, "#clist li")[0].click()
    _wait(browser, lambda d: _visible(d, "#cluster .diff"))
    left, right = _visible(browser, "#cluster .diff .text")
    assert _visible(browser, "#cluster .diff del") and _visible(browser, "#cluster .diff ins")
    kept, dropped = left.get_attribute("textContent"), right.get_attribute("textContent")
    assert kept == run.texts[run.kept_doc]
    assert dropped in {run.texts[d] for d in run.dropped_docs}
    # the words marked are those a word diff finds (the copies' edits differ)
    a, b = kept.lower().split(), dropped.lower().split()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    gone = [w for tag, i1, i2, _, _ in ops if tag in ("delete", "replace") for w in a[i1:i2]]
    new = [w for tag, _, _, j1, j2 in ops if tag in ("insert", "replace") for w in b[j1:j2]]
    script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)"
    marked_gone = " ".join(browser.execute_script(script, "#cluster .diff del")).lower().split()
    marked_new = " ".join(browser.execute_script(script, "#cluster .diff ins")).lower().split()
    assert (marked_gone, marked_new) == (gone, new)
    assert "changed" in new and "changed" in gone
    shot = tmp_path / "cluster.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # nothing but the page itself was ever requested
    sent = _requests(browser)
    assert [u for u, _ in sent if u.split(":")[0] in ("http", "https", "ws", "wss")] == []
    ours = {u for u, doc in sent if doc.startswith(page.as_uri())}
    assert ours == {page.as_uri()}, ours  # the page itself, and nothing it asked for
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_list_is_paged(browser: Any, tmp_path: Path) -> None:
    """120 articles with a boilerplate line: 50 to a page, three pages."""
    from selenium.webdriver.common.by import By

    need(BBC)
    src = tmp_path / "in"
    src.mkdir()
    for n in range(1, 121):
        text = (BBC / "business" / f"{n:03d}.txt").read_text(encoding="utf-8")
        (src / f"{n:03d}.txt").write_text(text.rstrip("\n") + "\n\n" + BOILERPLATE + "\n")
    report = tmp_path / "r.jsonl"
    assert_ok(clean(src, "--dry-run", "--report", report, "--no-documents"))
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    docs = sorted({r["doc"] for r in rows if r["rule"] == "boilerplate"})
    assert len(docs) == 120
    page = tmp_path / "r.html"
    assert_ok(invoke("report", report, "-o", page))
    _open(browser, page, "#articles")
    _wait(browser, lambda d: len(_visible(d, "#list li")) == 50)
    assert browser.find_element(By.ID, "page").text == "page 1 of 3"
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    _wait(browser, lambda d: len(_visible(d, "#list li")) == 20)
    assert _ids(browser) == docs[100:]
    assert browser.find_element(By.ID, "next").get_attribute("disabled") is not None
    # the overview's boilerplate group links to the articles that lost it
    _open(browser, page, "#articles?group=0")
    _wait(browser, lambda d: "120 articles shown" in d.find_element(By.ID, "count").text)


def test_gzipped_page_in_chromium(run: Run, browser: Any, tmp_path: Path) -> None:
    """A large run's data is embedded gzipped; the browser unpacks it itself."""
    from dedupe.report.html import write_report_html

    page = tmp_path / "packed.html"
    write_report_html(str(run.report), str(page), [str(run.src)], compress=True)
    assert 'type="application/gzip-base64"' in page.read_text(encoding="utf-8")
    data = page_data(page.read_text(encoding="utf-8"))
    k = [d[0] for d in data["docs"]].index(run.headline_doc)
    _open(browser, page, f"#doc/{k}")
    _wait(browser, lambda d: _visible(d, "#doc del.rm"))
    assert _ids(browser) == [d[0] for d in data["docs"] if d[5] & 1]
    struck = _visible(browser, "#doc del.rm")
    assert [e.get_attribute("textContent") for e in struck] == [
        run.texts[run.headline_doc].split("\n")[0]
    ]
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
