"""What a run removed and why: the run summary, report rows, and the views over them.

* `summary` -- `Summary`, the counts printed after `dedupe clean`, and the last
  report row (``{"rule": "summary", ...}``) built from it;
* `rows` -- reading a report (JSONL) back and grouping its rows by article;
* `html` -- `dedupe report`: one self-contained HTML page to audit a run;
* `explain` -- `dedupe explain`: one article's removals in the terminal;
* `calibrate` -- `dedupe calibrate`: removals per threshold on a sample.

Only `summary` is imported here (the cleaner needs it); the views are imported
where they are used, so ``import dedupe`` stays light.
"""

from __future__ import annotations

from .summary import Summary, plural, summary_row

__all__ = ["Summary", "plural", "summary_row"]
