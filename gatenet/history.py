"""What training looked like: loss and accuracy over steps, and when every row became right."""

from __future__ import annotations

from dataclasses import dataclass

MAX_POINTS = 1000


def sample_stride(steps: int, max_points: int = MAX_POINTS) -> int:
    """Record every step of a short run, and about `max_points` evenly spaced steps of a long one."""
    return max(1, -(-steps // max_points))


@dataclass(frozen=True)
class History:
    """`step[i]` is the number of updates before the forward pass whose loss and accuracy are recorded.

    `first_right_step` is the number of updates after which every row was on the right side of 0.5
    and stayed there to the end; `None` when the last step still had a wrong row.
    """

    step: list[int]
    loss: list[float]
    accuracy: list[float]
    first_right_step: int | None

    def to_dict(self) -> dict:
        """Plain JSON data; values keep 6 significant digits, plenty for curves and stable on disk."""
        return {
            "first_right_step": self.first_right_step,
            "step": self.step,
            "loss": [float(f"{value:.6g}") for value in self.loss],
            "accuracy": [float(f"{value:.6g}") for value in self.accuracy],
        }

    @classmethod
    def from_dict(cls, data: dict) -> History:
        return cls(data["step"], data["loss"], data["accuracy"], data["first_right_step"])
