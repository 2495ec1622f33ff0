"""Settings: every threshold is an option with a range; config files, environment
variables and options, in that order of precedence; errors speak in option names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe import CleanerConfig, ConfigError
from dedupe.cli import cli
from dedupe.config import SETTINGS
from dedupe.settings import find_pyproject, load

from .test_cli import EXAMPLE, assert_ok, clean


def _config(*args: str, env: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """`dedupe config`'s table: option -> (value, where it comes from)."""
    result = CliRunner().invoke(cli, ["config", *args], env=env)
    assert result.exit_code == 0, result.output
    out: dict[str, tuple[str, str]] = {}
    for line in result.output.splitlines():
        name, value, where = line[:24].strip(), line[25:37].strip(), line[38:].strip()
        out[name] = (value, where)
    return out


def test_every_config_field_is_a_setting_with_an_option() -> None:
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(CleanerConfig)]
    help_text = CliRunner().invoke(cli, ["clean", "--help"]).output
    for s in SETTINGS:
        flag = f"{s.option} / --no-{s.option[2:]}" if s.kind is bool else s.option
        assert flag in help_text, s.option
        assert s.help.split()[0] in help_text


def test_precedence_option_over_environment_over_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.dedupe]\nmin-docs = 4\ndocument_threshold = 0.7\nweak-share = 0.02\n"
    )
    monkeypatch.chdir(tmp_path)
    shown = _config(
        "--document-threshold", "0.6", env={"DEDUPE_MIN_DOCS": "3", "DEDUPE_WEAK_SHARE": "0.03"}
    )
    assert shown["document-threshold"] == ("0.6", "option")
    assert shown["min-docs"] == ("3", "environment (DEDUPE_MIN_DOCS)")
    assert shown["weak-share"] == ("0.03", "environment (DEDUPE_WEAK_SHARE)")
    shown = _config()
    assert shown["min-docs"] == ("4", str(tmp_path / "pyproject.toml"))
    assert shown["document-threshold"] == ("0.7", str(tmp_path / "pyproject.toml"))
    assert shown["paragraph-threshold"] == ("0.8", "default")
    # --config FILE instead of the pyproject.toml found from the current folder
    other = tmp_path / "crawl.toml"
    other.write_text("min-docs = 9\nkeep = 'longest'\n")
    shown = _config("--config", str(other))
    assert shown["min-docs"] == ("9", str(other))
    assert shown["keep"] == ("longest", str(other))
    assert shown["document-threshold"] == ("0.5", "default")


def test_a_config_file_changes_what_clean_does(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(EXAMPLE.read_bytes())
    conf = tmp_path / "c.toml"
    conf.write_text("headlines = false\nparagraphs = false\n")
    assert_ok(clean(src, "-o", tmp_path / "out", "--config", conf))
    assert (tmp_path / "out" / "a.txt").read_bytes() == EXAMPLE.read_bytes()  # nothing removed
    assert_ok(clean(src, "-o", tmp_path / "out2"))
    assert (tmp_path / "out2" / "a.txt").read_bytes() != EXAMPLE.read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("min-docz = 3\n", "unknown setting 'min-docz'"),
        ("min-docs = 1\n", "--min-docs must be at least 2, got 1"),
        ("document-threshold = 1.5\n", "--document-threshold must be in (0, 1], got 1.5"),
        ("keep = 'last'\n", "--keep must be one of first, longest, got 'last'"),
        ("min-docs = [\n", "not valid TOML"),
    ],
)
def test_bad_config_files_are_one_line_naming_file_and_option(
    tmp_path: Path, content: str, message: str
) -> None:
    conf = tmp_path / "bad.toml"
    conf.write_text(content)
    result = CliRunner().invoke(cli, ["config", "--config", str(conf)])
    assert result.exit_code == 2
    assert f"{conf}: {message}" in result.output
    assert "Traceback" not in result.output


def test_errors_name_the_option_not_the_field() -> None:
    result = clean("x.txt", "-o", "out", "--document-threshold", "1.5")
    assert result.exit_code == 2
    assert "'--document-threshold': 1.5 is not in the range 0.0<x<=1.0" in result.stderr
    result = clean("x.txt", "-o", "out", "--lsh-bands", "64", "--lsh-rows", "3")
    assert result.exit_code == 2
    assert "--lsh-bands x --lsh-rows (192) exceeds --num-perm (128)" in result.stderr
    with pytest.raises(ConfigError, match="--paragraph-threshold must be in"):
        CleanerConfig(paragraph_threshold=0.0)


def test_find_and_load_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_pyproject(tmp_path) is None  # no [tool.dedupe]: not a dedupe config
    (tmp_path / "pyproject.toml").write_text(
        "[tool.dedupe]\nsite-field = ''\njobs = 2\nparagraph-separator = ' ### '\n"
    )
    deeper = tmp_path / "a" / "b"
    deeper.mkdir(parents=True)
    found = find_pyproject(deeper)
    assert found == tmp_path / "pyproject.toml"
    assert load(found, ["site_field", "jobs", "paragraph_separator"]) == {
        "site_field": None,
        "jobs": 2,
        "paragraph_separator": " ### ",
    }
