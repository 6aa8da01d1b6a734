"""TOML files (checks files and tasks files) read one way, on every supported Python."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from losscli.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport with the same interface
    import tomli as tomllib


def load_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The parsed file; ``what`` names it in errors (e.g. ``--tasks tasks.toml``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what}: cannot read ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what}: not valid TOML: {exc}") from None


def known_keys(table: Any, known: set[str], where: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = set(table) - known
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(sorted(unknown))} (keys: {', '.join(sorted(known))})"
        )


def resolve_path(value: str, base: Path) -> str:
    """A path written in a file, relative to that file's folder."""
    return value if value == "-" or Path(value).is_absolute() else str(base / value)


def file_list(value: Any, where: str, base: Path) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(i, str) for i in value):
        raise ConfigError(f"{where}: 'inputs' must be a list of file paths")
    return [resolve_path(p, base) for p in value]


def table_of(entry: Any, key: str, where: str) -> dict[str, Any]:
    value = entry.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a table, e.g. {key} = {{ ... }}")
    return value
