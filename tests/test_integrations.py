"""`dedupe.integrations` with the real libraries: a pandas DataFrame and a Hugging Face
``datasets.Dataset`` (built in memory, no network) in, the same type out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from dedupe import Cleaner, ConfigError, InputError
from dedupe.integrations import clean_dataframe, clean_dataset
from dedupe.integrations._common import MissingExtra, require

from .test_api import corpus

pd = pytest.importorskip("pandas")


def expected(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """What the API says about ``records``, as the helpers' columns."""
    results = list(Cleaner(jobs=1).clean(records))
    out: dict[str, list[Any]] = {"text": [r.text for r in results]}
    out["dropped"] = [r.dropped for r in results]
    for rule in ("headline", "paragraph", "boilerplate"):
        out[f"removed_{rule}"] = [sum(x.rule == rule for x in r.removals) for r in results]
    return out


def frame() -> Any:
    records = corpus(16)
    records[-1]["id"] = 1000  # the copy: ids of one type, as a Dataset column needs
    df = pd.DataFrame(records)
    df["title"] = [None if k % 3 else f"Title {k}" for k in range(len(df))]
    return df.set_index(pd.Index([f"row{k}" for k in range(len(df))]))


def records_of(df: Any) -> list[dict[str, Any]]:
    return [
        {"id": i, "text": t, **({"title": h} if isinstance(h, str) else {})}
        for i, t, h in zip(df["id"].tolist(), df["text"].tolist(), df["title"].tolist())
    ]


def test_dataframe_in_dataframe_out() -> None:
    df = frame()
    before = df.copy()
    want = expected(records_of(df))
    assert any(want["dropped"]) and sum(want["removed_boilerplate"]) > 0
    out = clean_dataframe(df, Cleaner(jobs=1))
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == list(df.index)
    added = ["dropped", "removed_headline", "removed_paragraph", "removed_boilerplate"]
    assert list(out.columns) == [*df.columns, *added]
    for column, values in want.items():
        assert out[column].tolist() == values, column
    assert out["id"].tolist() == df["id"].tolist() and out["n"].tolist() == df["n"].tolist()
    pd.testing.assert_frame_equal(df, before)  # the input is not changed

    dropped = clean_dataframe(df, Cleaner(jobs=1), drop=True, cleaned_column="cleaned")
    assert len(dropped) == len(df) - sum(want["dropped"])
    assert not dropped["dropped"].any()
    assert dropped["text"].tolist() == [t for t, d in zip(df["text"], want["dropped"]) if not d]
    assert dropped["cleaned"].tolist() == [
        t for t, d in zip(want["text"], want["dropped"]) if not d
    ]


def test_dataframe_nan_text_and_on_error() -> None:
    df = frame()
    df.loc["row4", "text"] = math.nan  # a missing text, as pandas has it
    with pytest.raises(InputError) as info:
        clean_dataframe(df, Cleaner(jobs=1))
    assert str(info.value) == "<DataFrame>:record 5: field 'text' must be a string, got float"

    skip = Cleaner(jobs=1, on_error="skip")
    out = clean_dataframe(df, skip)
    assert "row4" not in out.index and len(out) == len(df) - 1
    assert [p.record for p in skip.problems] == [5]
    good = df.drop(index="row4")
    assert out["text"].tolist() == expected(records_of(good))["text"]

    keep = Cleaner(jobs=1, on_error="keep")
    out = clean_dataframe(df, keep)
    assert list(out.index) == list(df.index)
    row = out.loc["row4"]
    assert math.isnan(row["text"]) and not row["dropped"] and row["removed_boilerplate"] == 0
    assert out.drop(index="row4")["text"].tolist() == expected(records_of(good))["text"]


def test_a_dataframe_given_to_clean_is_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match="clean_dataframe"):
        list(Cleaner(jobs=1).clean(frame()))


def test_dataframe_columns_named_by_the_caller() -> None:
    df = frame().rename(columns={"id": "doc_id", "text": "body"}).drop(columns=["title"])
    with pytest.raises(ConfigError, match=r"no id column 'id'.*id_column=None"):
        clean_dataframe(df, Cleaner(jobs=1))
    out = clean_dataframe(df, Cleaner(jobs=1), id_column="doc_id", text_column="body")
    want = expected([{"id": i, "text": t} for i, t in zip(df["doc_id"], df["body"])])
    assert out["body"].tolist() == want["text"]
    numbered = clean_dataframe(
        df.drop(columns=["doc_id"]), Cleaner(jobs=1), id_column=None, text_column="body"
    )
    assert numbered["body"].tolist() == want["text"]
    names = {"id_column": "doc_id", "text_column": "body"}
    with pytest.raises(ConfigError, match="already has a column 'dropped'"):
        clean_dataframe(df.assign(dropped=1), Cleaner(jobs=1), **names)
    assert len(clean_dataframe(df.iloc[:0], Cleaner(jobs=1), **names)) == 0


def test_dataset_in_dataset_out() -> None:
    datasets = pytest.importorskip("datasets")
    df = frame()
    records = records_of(df)
    ds = datasets.Dataset.from_dict(
        {"id": df["id"].tolist(), "title": [r.get("title") for r in records],
         "text": df["text"].tolist(), "n": df["n"].tolist()}
    )  # fmt: skip
    want = expected(records)
    out = clean_dataset(ds, Cleaner(jobs=1))
    assert isinstance(out, datasets.Dataset)
    assert out.column_names == [
        "id", "title", "text", "n", "dropped",
        "removed_headline", "removed_paragraph", "removed_boilerplate",
    ]  # fmt: skip
    assert out.features["text"] == ds.features["text"]
    for column, values in want.items():
        assert out[column] == values, column

    kept = [r.to_record()["id"] for r in Cleaner(jobs=1).clean(records) if not r.dropped]
    assert all(isinstance(i, int) for i in kept)  # ids kept their type: a filter works
    assert len(ds.filter(lambda row: row["id"] in kept)) == len(kept)
    assert clean_dataset(ds, Cleaner(jobs=1), drop=True)["id"] == kept


def test_dataset_bad_rows() -> None:
    datasets = pytest.importorskip("datasets")
    texts = [r["text"] for r in corpus(6)]
    texts[1] = None
    ds = datasets.Dataset.from_dict({"text": texts})
    with pytest.raises(InputError, match=r"^<Dataset>:record 2: field 'text' must be a string"):
        clean_dataset(ds, Cleaner(jobs=1), id_column=None)
    out = clean_dataset(ds, Cleaner(jobs=1, on_error="keep"), id_column=None)
    assert out["text"][1] is None and len(out) == len(ds)
    out = clean_dataset(ds, Cleaner(jobs=1, on_error="skip"), id_column=None)
    assert len(out) == len(ds) - 1 and None not in out["text"]


def test_missing_extra_names_the_install_command() -> None:
    with pytest.raises(MissingExtra, match=r"pip install 'news-dedupe\[nothing\]'"):
        require("dedupe_no_such_module", "nothing")
    assert require("numpy", "numpy") is np
