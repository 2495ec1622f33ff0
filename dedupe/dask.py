"""Run the cleaner on a Dask cluster (``pip install 'news-dedupe[dask]'``).

    import dask.bag as db
    import dedupe.dask

    records = db.read_text("crawl/*.jsonl").map(json.loads)
    cleaned, report = dedupe.dask.clean(records, workdir="/shared/dedupe-work")
    cleaned.map(json.dumps).to_textfiles("cleaned/*.jsonl")

`clean` takes a Dask bag of records (dicts with ``id``, ``text`` and an
optional ``title``; other fields are carried through) or a Dask DataFrame
with those columns, and gives back the same kind of collection, cleaned and
without the dropped duplicates, plus a bag of report rows. The results are
those of `dedupe.Cleaner` on the same records in partition order, whatever
the number of partitions and workers (see `dedupe.engine.dask`).

``dedupe clean ... --engine dask [--scheduler ADDRESS]`` runs the command line
on a cluster the same way (`cleaner`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .config import CleanerConfig
from .errors import DedupeError
from .io.paths import Fields


def install_hint() -> str:
    """The line that installs the Dask engine's extra, naming this distribution."""
    from importlib.metadata import packages_distributions

    dist = (packages_distributions().get("dedupe") or ["dedupe"])[0]
    return f"the Dask engine needs the dask extra: pip install '{dist}[dask]'"


def _require() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        raise DedupeError(install_hint()) from None


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: to the scheduler at ``scheduler``, or to a new
    ``LocalCluster`` of ``workers`` single-threaded processes (default: one per core)."""
    _require()
    from distributed import Client, LocalCluster

    from .parallel import default_jobs

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise DedupeError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers or default_jobs(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never "8787 is already in use"
        silence_logs=logging.ERROR,  # the scheduler's notes on each shuffle are not news
    )
    with cluster, Client(cluster) as client:
        yield client


@contextlib.contextmanager
def cleaner(
    config: CleanerConfig | None = None,
    *,
    scheduler: str | None = None,
    client: Any = None,
    workdir: str | None = None,
    partitions: int | None = None,
    fields: Fields | None = None,
    inputs: Sequence[str] = (),
) -> Iterator[Any]:
    """A `dedupe.engine.dask.DaskCleaner` connected to a cluster, usable where a
    `dedupe.Cleaner` is (``.clean(articles)``, ``.summary``). Without ``workdir`` the
    stages go to a temporary folder removed afterwards; with one they stay there, and a
    run of the same ``inputs`` and settings resumes from the last finished stage."""
    _require()
    from .engine.dask import DaskCleaner, input_signature

    temporary = workdir is None
    folder = workdir or tempfile.mkdtemp(prefix="dedupe-dask-")
    try:
        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(connect(scheduler))
            parts = partitions or 2 * max(1, len(client.nthreads()))
            try:
                yield DaskCleaner(
                    config, client, folder, parts, fields, {"inputs": input_signature(inputs)}
                )
            except DedupeError:
                raise
            except Exception as exc:  # a task, a shuffle or a worker failed on the cluster
                again = "run again" if temporary else f"its finished stages are in {folder}"
                raise DedupeError(
                    f"the Dask cluster failed: {type(exc).__name__}: {exc} ({again})"
                ) from exc
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def clean(
    data: Any,
    config: CleanerConfig | None = None,
    *,
    client: Any = None,
    workdir: str | None = None,
    fields: Fields | None = None,
) -> tuple[Any, Any]:
    """Clean a Dask bag of records or a Dask DataFrame; returns ``(cleaned, report)``:
    the same kind of collection (dropped duplicates left out, text cleaned) and a bag of
    report rows (dicts, as in ``dedupe clean --report``; ``file`` names the partition and
    ``line`` the record in it). The work is done here, on the cluster of ``client``
    (default: the current one); the collections returned read its results, JSON lines
    under ``workdir``/output (default: a new temporary folder, left for them to read)."""
    _require()
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd
    from dask.base import tokenize
    from dask.delayed import delayed
    from distributed import default_client

    from .engine.dask import DaskCleaner, records_of_frame

    fields = fields or Fields()
    is_frame = isinstance(data, dd.DataFrame)
    if not is_frame and not isinstance(data, db.Bag):
        raise DedupeError("dedupe.dask.clean takes a dask.bag.Bag or a dask.dataframe.DataFrame")
    client = client or default_client()
    folder = Path(workdir or tempfile.mkdtemp(prefix="dedupe-dask-"))
    if is_frame:
        parts = [delayed(records_of_frame)(p) for p in data.to_delayed()]
    else:
        parts = data.to_delayed()
    token = tokenize(data)
    runner = DaskCleaner(config, client, folder, len(parts), fields, {"collection": token})
    runner.clean_partitions(parts)
    out = folder / "output"
    names = [str(out / f"records-{i:05d}.jsonl") for i in range(len(parts))]
    report = db.read_text([str(out / f"report-{i:05d}.jsonl") for i in range(len(parts))])
    if not is_frame:
        return db.read_text(names).map(json.loads), report.map(json.loads)
    meta = data._meta

    def frame(path: str) -> pd.DataFrame:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        return pd.DataFrame.from_records(rows, columns=list(meta.columns)).astype(
            meta.dtypes.to_dict()
        )

    return dd.from_map(frame, names, meta=meta), report.map(json.loads)
