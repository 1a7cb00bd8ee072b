"""The table the timing benchmarks here print: each measurement's median, as a markdown table."""

from __future__ import annotations

import statistics


def median_table(heading: str, times: dict[str, list[float]], per: tuple[str, int] | None = None) -> dict:
    """Print one row per measurement; `per` = (column name, count) adds milliseconds per item."""
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    print(f"| {heading} | median seconds |" + (f" {per[0]} |" if per else ""))
    print("| --- | --- |" + (" --- |" if per else ""))
    for kind, seconds in medians.items():
        print(f"| {kind} | {seconds:.3f} |" + (f" {seconds / per[1] * 1000:.2f} |" if per else ""))
    return medians
