"""Project settings from `[tool.gatenet]` in the current folder's pyproject.toml.

    [tool.gatenet]              # every gate
    learning_rate = 0.02
    [tool.gatenet.gates.PARITY8]  # one gate (any letter case)
    hidden = [96]
    steps = 3000

Precedence, last wins: gatenet's defaults, the plugin's hints for the gate, `[tool.gatenet]`,
`[tool.gatenet.gates.NAME]`, then the command line.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from gatenet.network import NetworkError, NetworkSpec

SETTINGS = tuple(NetworkSpec.__dataclass_fields__)


def project_settings(gate_names: list[str], path: Path = Path("pyproject.toml")) -> dict[str, dict]:
    """For each gate name (lower case), the settings `[tool.gatenet]` gives it; empty without a file."""
    if not path.is_file():
        return {name.lower(): {} for name in gate_names}
    try:
        table = tomllib.loads(path.read_text()).get("tool", {}).get("gatenet", {})
    except tomllib.TOMLDecodeError as error:
        raise NetworkError(f"{path}: not valid TOML ({error})") from None
    per_gate = {name.lower(): values for name, values in table.get("gates", {}).items()}
    shared = {key: value for key, value in table.items() if key != "gates"}
    for where, values in [
        ("[tool.gatenet]", shared),
        *((f"[tool.gatenet.gates.{n}]", v) for n, v in per_gate.items()),
    ]:
        unknown = sorted(set(values) - set(SETTINGS))
        if unknown:
            raise NetworkError(
                f"{path} {where}: unknown setting {', '.join(unknown)}; settings are: {', '.join(SETTINGS)}"
            )
    return {name.lower(): {**shared, **per_gate.get(name.lower(), {})} for name in gate_names}
