#!/usr/bin/env python3
"""The README's screenshot of `dedupe report` (docs/report.png), made from a real run.

Converts the asprout ArticleComparisons set (../shared/data; scripts/asprout_to_jsonl.py),
cleans it with `--site-field publisher`, builds the page with `--input`, opens one
article in headless Chromium (Debian's chromium and chromium-driver) and saves the
window (about 150 KB at the default size).

Example: python bench/screenshot.py --doc helsinki-2363 -o docs/report.png
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import CACHE, DEFAULT_DATA, REPO


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--doc", default="helsinki-2363", help="the article shown")
    ap.add_argument("--size", default="1100,800", help="window width,height")
    ap.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "report.png")
    args = ap.parse_args(argv)

    work = CACHE / "screenshot"
    work.mkdir(parents=True, exist_ok=True)
    corpus, report, page = work / "asprout.jsonl", work / "report.jsonl", work / "report.html"
    py = sys.executable
    subprocess.run(
        [py, str(REPO / "scripts" / "asprout_to_jsonl.py"), "--data", str(args.data),
         "-o", str(corpus)], check=True,
    )  # fmt: skip
    dedupe = [py, "-m", "dedupe"]
    subprocess.run(
        [*dedupe, "clean", str(corpus), "--dry-run", "--report", str(report), "--force",
         "--site-field", "publisher", "-q"], check=True, cwd=REPO,
    )  # fmt: skip
    subprocess.run(
        [*dedupe, "report", str(report), "--input", str(corpus), "-o", str(page), "--force",
         "--title", "asprout ArticleComparisons, 680 articles", "-q"], check=True, cwd=REPO,
    )  # fmt: skip
    rows = [json.loads(line) for line in report.open(encoding="utf-8")]
    ordered = list(dict.fromkeys(r["doc"] for r in rows if r.get("doc") is not None))
    index = ordered.index(args.doc)
    first = next(r["segment"] for r in rows if r.get("doc") == args.doc)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="dedupe-shot-")
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", f"--window-size={args.size}", "--hide-scrollbars",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    raw = work / "raw.png"
    try:
        driver.get(page.as_uri() + f"#doc/{index}/{first}")  # scrolled to its first removal
        time.sleep(2.0)  # the removal scrolled to flashes for 1.5 s
        driver.save_screenshot(str(raw))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(raw, args.output)
    print(f"{args.output}: {args.output.stat().st_size / 1024:.0f} KB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
