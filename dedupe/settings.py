"""Settings from config files: a ``[tool.dedupe]`` table in ``pyproject.toml``, or a
TOML file given with ``--config``.

Keys are the options' names without dashes (``min-docs = 3``, or ``min_docs``);
every setting of `dedupe.config.SETTINGS` and the run options of ``dedupe clean``
(``jobs``, ``on-error``, the field names, ...) may be set. Precedence, highest
first: the command line, ``DEDUPE_CLEAN_*`` environment variables, the config
file, the defaults (the command line applies it: files become click's
``default_map``). A file is read and checked whole: an unknown key or a value out
of range is an error naming the file and the key.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .config import SETTINGS, Setting
from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.dedupe]`` table, from ``start`` (the
    current folder) up to the root."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file() and "dedupe" in _read(candidate).get("tool", {}):
            return candidate
    return None


def load(path: Path, allowed: Iterable[str]) -> dict[str, Any]:
    """The settings in a config file, keyed by parameter name (``min_docs``).

    ``pyproject.toml`` holds them in ``[tool.dedupe]``; another file at its top level
    (or in a ``[dedupe]`` table). ``allowed`` are the parameter names the command takes.
    """
    data = _read(path)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get("dedupe", {})
    else:
        table = data.get("dedupe", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: the dedupe settings must be a table")
    names = set(allowed)
    out: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = str(raw_key).replace("-", "_")
        if key not in names:
            raise ConfigError(f"{path}: unknown setting {raw_key!r}")
        setting = BY_KEY.get(key)
        if setting is not None:
            if setting.optional and value == "":
                value = None
            if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            try:
                setting.check(value)
            except ConfigError as exc:
                raise ConfigError(f"{path}: {exc}") from None
        out[key] = value
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
