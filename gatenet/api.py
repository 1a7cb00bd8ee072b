"""Everything the command line does, as plain function calls returning plain objects (for notebooks).

import gatenet
result = gatenet.train("XOR", out="models")     # a GateResult, with .history
result.history.accuracy[-1], result.first_right_step
gatenet.load("models/xor.onnx").predict([[0, 1]])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gatenet.check import DEFAULT_MARGIN
from gatenet.gate import Gate
from gatenet.network import DEFAULT_RESTARTS
from gatenet.plugins import collect_gates


def gates(*names: str, family: str | None = None) -> list[Gate]:
    """Registered gates by name (any letter case) or family; all but the opt-in families by default."""
    return collect_gates().select(names, (family,) if family else ())


def train(
    what: str | Gate | Sequence[str | Gate],
    out: Path | str | None = "exported",
    seed: int = 0,
    restarts: int = DEFAULT_RESTARTS,
    margin: float = DEFAULT_MARGIN,
    **settings: object,
):
    """Train, export to `out` and verify one gate (returns its GateResult) or several (a list).

    Gates are names or `Gate` objects; `settings` are network settings such as hidden=(8,), steps=500.
    With `out=None` nothing is written and only the Keras check is made.
    """
    from gatenet.pipeline import train_gates

    single = isinstance(what, (str, Gate))
    chosen = [item if isinstance(item, Gate) else gates(item)[0] for item in ([what] if single else what)]
    results = train_gates(chosen, out or ".", settings, seed, margin, restarts, export=out is not None)
    return results[0] if single else results


def sweep(gate: str | Gate, seeds: int = 20, margin: float = DEFAULT_MARGIN, **axes: Sequence) -> list[dict]:
    """Train `seeds` networks for every combination of the axes, e.g. hidden_units=[2, 4, 8]."""
    from gatenet.sweeps import sweep as run_sweep

    return run_sweep(gate if isinstance(gate, Gate) else gates(gate)[0], axes, seeds, margin)
