"""Reading and cleaning speed by input format and compression, side by side.

    python bench/io_formats.py [--copies 2] [--runs 3]

Builds one corpus from the BBC articles in ../shared/data (each article
``--copies`` times, later copies with a line added, so that some are cut and
some dropped), writes it as JSONL, CSV and Parquet, plain and compressed, then
for each file times (median of ``--runs``) one pass of `dedupe.io.Corpus` (the
reader alone: decompress, decode, parse) and a whole `clean_paths` run with one
job into a temporary folder (both passes, cleaning and writing). Prints a
Markdown table; ratios are to plain JSONL measured in the same run.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import io
import json
import lzma
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dedupe.io import Corpus, discover  # noqa: E402
from dedupe.run import clean_paths  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc_news_fulltext" / "bbc"


def records(copies: int) -> list[dict[str, object]]:
    texts = []
    for path in sorted(BBC.glob("*/*.txt")):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
    out: list[dict[str, object]] = []
    for k in range(copies):
        for n, text in enumerate(texts):
            extra = "" if k == 0 else f"\n\nEdition {k}, note {n}.\n"
            out.append(
                {"id": f"{k}-{n}", "url": f"https://example.com/{k}/{n}", "text": text + extra}
            )
    return out


def compress(data: bytes, codec: str) -> bytes:
    if codec == "gz":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if codec == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    if codec == "bz2":
        return bz2.compress(data)
    if codec == "xz":
        return lzma.compress(data)
    return data


def write_inputs(folder: Path, rows: list[dict[str, object]]) -> list[Path]:
    jsonl = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(list(rows[0]))
    writer.writerows([list(r.values()) for r in rows])
    table = buf.getvalue().encode()
    paths = []
    for codec in ["", "gz", "zst", "bz2", "xz"]:
        for name, data in (("articles.jsonl", jsonl), ("articles.csv", table)):
            path = folder / (name + (f".{codec}" if codec else ""))
            path.write_bytes(compress(data, codec))
            paths.append(path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = folder / "articles.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path, compression="zstd")
        paths.append(path)
    except ImportError:
        print("(pyarrow missing: no Parquet row)", file=sys.stderr)
    return paths


def timed(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not BBC.is_dir():
        sys.exit(f"needs the BBC articles at {BBC}")
    rows = records(args.copies)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_inputs(folder, rows)
        results = []
        for path in paths:
            files, _ = discover([str(path)])

            def read(files: object = files) -> None:
                for _ in Corpus(files):  # type: ignore[arg-type]
                    pass

            def clean(path: Path = path) -> None:
                with tempfile.TemporaryDirectory(dir=tmp) as out:
                    clean_paths([str(path)], str(Path(out) / "o"), jobs=1)

            results.append(
                (path.name, path.stat().st_size, timed(read, args.runs), timed(clean, args.runs))
            )
    base_read, base_clean = results[0][2], results[0][3]
    print(f"{len(rows)} articles, median of {args.runs} runs, one job\n")
    print("| input | size MB | read s | × JSONL | clean s | × JSONL |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, size, read_s, clean_s in results:
        print(
            f"| {name} | {size / 1e6:.1f} | {read_s:.2f} | {read_s / base_read:.2f} "
            f"| {clean_s:.1f} | {clean_s / base_clean:.2f} |"
        )


if __name__ == "__main__":
    main()
