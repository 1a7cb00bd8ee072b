"""Is a set of predicted probabilities a faithful copy of a truth table? Shared by Keras and ONNX."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_MARGIN = 0.4
EXACT_MARGIN = 0.5  # the margin of outputs that are exactly 0 or 1, as a logic circuit's are
MARGIN_RULE = "a number in (0, 0.5]"  # what every check of a margin says it expected


def is_margin(value: object) -> bool:
    """A margin is a real number in (0, 0.5]: above 0.5 no output can clear it, at 0 any output does."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 0.5


def check_margin(value: object, what: str = "margin") -> float:
    """`value` as a margin, or a ValueError naming `what` and the range."""
    if not is_margin(value):
        raise ValueError(f"{what}: must be {MARGIN_RULE}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Check:
    """The verdict on a whole truth table: verified when every output clears the margin."""

    verified: bool
    worst_margin: float
    margin: float
    failing_rows: tuple[int, ...]
    details: str = ""
    probabilities: np.ndarray | None = field(default=None, repr=False, compare=False)  # what was checked


def check_table(
    table: np.ndarray,
    probabilities: np.ndarray,
    margin: float = DEFAULT_MARGIN,
) -> Check:
    """Each output must sit on the truth's side of 0.5 by at least `margin` (0.4: within 0.1)."""
    table = np.asarray(table)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.shape != table.shape:
        raise ValueError(f"probabilities have shape {probabilities.shape}, the truth table {table.shape}")
    margins = np.where(table == 1, probabilities - 0.5, 0.5 - probabilities)
    row_margins = np.nan_to_num(margins, nan=-np.inf).min(axis=1)
    failing = tuple(int(row) for row in np.flatnonzero(~(row_margins >= margin)))
    worst = float(row_margins.min())
    inputs = int(np.log2(len(table)))
    details = "; ".join(
        f"row {row:0{inputs}b}: expected {''.join(map(str, table[row]))}, "
        f"got {' '.join(f'{p:.3f}' for p in probabilities[row])}"
        for row in failing[:8]
    )
    if len(failing) > 8:
        details += f"; and {len(failing) - 8} more rows"
    return Check(not failing, worst, margin, failing, details, probabilities)
