"""What training looked like: loss and accuracy over steps, and when every row became right."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_POINTS = 1000
SNAPSHOTS = 32  # weight snapshots kept per network, for replaying how it learned
COMPACT_POINTS = 100  # points of a compact history's curve: a family's, written 65,536 times


def sample_stride(steps: int, max_points: int = MAX_POINTS) -> int:
    """Record every step of a short run, and about `max_points` evenly spaced steps of a long one."""
    return max(1, -(-steps // max_points))


def snapshot_steps(steps: int, count: int = SNAPSHOTS) -> list[int]:
    """Step 0, `steps`, and steps spaced evenly on a log scale between: a network changes most at first."""
    spaced = np.round(np.geomspace(1, steps, count - 1)).astype(int).tolist()
    return sorted({0, steps, *spaced})


@dataclass(frozen=True)
class Snapshot:
    """A network's weights (Keras order: kernel, bias per layer) after `step` updates."""

    step: int
    weights: list[np.ndarray]

    def to_dict(self) -> dict:
        """5 decimals: a replayed surface cannot tell the difference, and the file stays small."""
        return {
            "step": self.step,
            "weights": [np.round(w.astype(np.float64), 5).tolist() for w in self.weights],
        }


@dataclass(frozen=True)
class History:
    """`step[i]` is the number of updates before the forward pass whose loss and accuracy are recorded.

    `first_right_step` is the number of updates after which every row was on the right side of 0.5
    and stayed there to the end; `None` when the last step still had a wrong row. `snapshots` hold the
    weights at `snapshot_steps`, for replaying the training.
    """

    step: list[int]
    loss: list[float]
    accuracy: list[float]
    first_right_step: int | None
    snapshots: list[Snapshot] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON data; values keep 6 significant digits, plenty for curves and stable on disk."""
        return {
            "first_right_step": self.first_right_step,
            "step": self.step,
            "loss": [float(f"{value:.6g}") for value in self.loss],
            "accuracy": [float(f"{value:.6g}") for value in self.accuracy],
            "snapshots": [snapshot.to_dict() for snapshot in self.snapshots],
        }

    @classmethod
    def from_dict(cls, data: dict) -> History:
        snapshots = [
            Snapshot(item["step"], [np.asarray(w, np.float32) for w in item["weights"]])
            for item in data.get("snapshots", [])
        ]
        return cls(data["step"], data["loss"], data["accuracy"], data["first_right_step"], snapshots)
