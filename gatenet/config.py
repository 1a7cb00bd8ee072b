"""Project settings from `[tool.gatenet]` in the current folder's pyproject.toml.

    [tool.gatenet]              # every gate
    learning_rate = 0.02
    [tool.gatenet.gates.PARITY8]  # one gate (any letter case)
    hidden = [96]
    steps = 3000

Precedence, last wins: gatenet's defaults, the plugin's hints for the gate, `[tool.gatenet]`,
`[tool.gatenet.gates.NAME]`, then the command line.

`tables = ["tables/"]` in `[tool.gatenet]` is not a training setting: it lists truth-table files and
folders of them, which the built-in `tables` plugin registers as gates (`gatenet.table_files`).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

from gatenet.learners import SETTINGS, check_learner_setting
from gatenet.network import NetworkError

SHOWN_GATES = 30  # known gates listed in an error before the list is cut short
TABLES = "tables"  # the key that lists truth-table files, read by `table_entries`


def project_settings(
    gate_names: Iterable[str],
    path: Path = Path("pyproject.toml"),
    known: Iterable[str] = (),
    find: Callable[[str], object] | None = None,
) -> dict[str, dict]:
    """For each gate name (lower case), the settings `[tool.gatenet]` gives it; empty without a file.

    Every table and value is checked here, so a mistake names the file and the key rather than
    surfacing later as a type error. With `known` (every registered gate name, any case), a table
    for another gate is an error too: a typo would otherwise be silently ignored. Names that `find`
    resolves (members of a family, which are made on demand rather than listed) are known too.
    """
    gate_names = [name.lower() for name in gate_names]
    if not path.is_file():
        return {name: {} for name in gate_names}
    table = _gatenet_table(path)
    shared = _settings(path, "[tool.gatenet]", {k: v for k, v in table.items() if k not in ("gates", TABLES)})
    per_gate: dict[str, dict] = {}
    spelled: dict[str, str] = {}
    for name, values in _table(path, "[tool.gatenet.gates]", table.get("gates", {})).items():
        where = f"[tool.gatenet.gates.{name}]"
        if name.lower() in spelled:
            raise NetworkError(f"{path} {where}: same gate as [tool.gatenet.gates.{spelled[name.lower()]}]")
        spelled[name.lower()] = name
        per_gate[name.lower()] = _settings(path, where, _table(path, where, values))
    listed = {name.lower(): name for name in known}
    _check_gate_names(path, {k: v for k, v in spelled.items() if not (find and find(k))}, listed)
    return {name: {**shared, **per_gate.get(name, {})} for name in gate_names}


def table_entries(path: Path = Path("pyproject.toml")) -> list[Path]:
    """The files and folders `tables = [...]` in `[tool.gatenet]` lists, relative to the pyproject's
    folder; none without a file or the key. A value that is not a list of paths names the key."""
    if not path.is_file():
        return []
    entries = _gatenet_table(path).get(TABLES, [])
    if not isinstance(entries, list) or not all(isinstance(entry, str) and entry for entry in entries):
        raise NetworkError(
            f"{path} [tool.gatenet] {TABLES}: expected a list of files or folders, "
            f'e.g. {TABLES} = ["tables/"], got {entries!r}'
        )
    return [path.parent / entry for entry in entries]


def _gatenet_table(path: Path) -> dict:
    """`[tool.gatenet]` of the pyproject at `path`, empty when it has none."""
    try:  # TOML is UTF-8 by definition, whatever the locale's encoding
        document = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise NetworkError(
            f"{path}: not UTF-8 (byte {error.start}: {error.object[error.start]:#04x}); it must be UTF-8 TOML"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise NetworkError(f"{path}: not valid TOML ({error})") from None
    tool = _table(path, "[tool]", document.get("tool", {}))
    return _table(path, "[tool.gatenet]", tool.get("gatenet", {}))


def _table(path: Path, where: str, value: object) -> dict:
    if not isinstance(value, dict):
        raise NetworkError(f"{path} {where}: expected a table, got {value!r}")
    return value


def _settings(path: Path, where: str, values: dict) -> dict:
    """`values` unchanged once every key is a setting and every value suits it."""
    unknown = sorted(set(values) - set(SETTINGS))
    if unknown:
        raise NetworkError(
            f"{path} {where}: unknown setting {', '.join(unknown)}; settings are: {', '.join(SETTINGS)}"
        )
    for key, value in values.items():
        try:
            check_learner_setting(key, value)
        except NetworkError as error:
            raise NetworkError(f"{path} {where} {error}") from None
    return values


def _check_gate_names(path: Path, spelled: dict[str, str], known: dict[str, str]) -> None:
    """Refuse a table for a gate no plugin registers; nothing to check against when `known` is empty."""
    missing = sorted(spelled.keys() - known.keys())
    if not known or not missing:
        return
    name = spelled[missing[0]]
    names = sorted(known.values())
    listed = ", ".join(names[:SHOWN_GATES])
    if len(names) > SHOWN_GATES:
        listed += f", ... and {len(names) - SHOWN_GATES} more (gatenet list shows them all)"
    close = difflib.get_close_matches(name.lower(), known, n=3)
    guess = f" (did you mean {' or '.join(known[match] for match in close)}?)" if close else ""
    raise NetworkError(f"{path} [tool.gatenet.gates.{name}]: no gate {name!r}{guess}; known gates: {listed}")
