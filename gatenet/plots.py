"""Pictures of what gatenet trained and ships: learning curves, decision surfaces, sweep charts.

Figures are built on `matplotlib.figure.Figure` with the Agg canvas, never through pyplot: no global
figure registry, no GUI backend, safe in tests, servers and worker threads. No TensorFlow here either:
the pictures come from history files, sweep rows and exported ONNX models.

Every PNG is written at `DPI` with no tight cropping, so its pixel size is the figure size times `DPI`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from gatenet.durable import write_atomically

if TYPE_CHECKING:
    from gatenet.runtime import GateModel

DPI = 100
MAX_COLUMNS = 4
PANEL_SIZE = (4.0, 3.0)  # inches per learning-curve panel
LEGEND_HEIGHT = 0.5  # inches above the learning-curve panels for the shared legend
SURFACE_PANEL = (4.0, 4.4)  # inches per decision-surface panel (axes, labels and title)
SURFACE_EXTRA_WIDTH = 1.2  # inches for the shared colour bar
SURFACE_PAD = 0.07  # axis room around [0, 1]^2, in input units
SURFACE_CMAP = "RdBu_r"  # diverging around 0.5: blue is "0", red is "1", white is undecided
SWEEP_ROW_HEIGHT = 0.25  # inches per sweep setting, so labels never overlap
SWEEP_EXTRA_HEIGHT = 1.3  # inches for title and axis labels
SWEEP_MIN_HEIGHT = 3.0
LOSS_COLOUR = "tab:blue"
ACCURACY_COLOUR = "tab:orange"


def save_figure(figure: Figure, path: Path | str, metadata: Mapping[str, str | None] | None = None) -> Path:
    """Write `figure` as a PNG at `path` (its folder made), whole or not at all, and return `path`:
    every gatenet picture is saved here, at `DPI` so its pixel size is predictable, and its memory is
    released at once. `metadata` is savefig's: `{"Software": None}` leaves matplotlib's version out,
    so a committed picture is the same bytes whoever makes it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    picture = io.BytesIO()
    figure.savefig(picture, dpi=DPI, format="png", metadata=metadata)
    figure.clear()
    write_atomically(path, picture.getvalue())
    return path


def learning_curves(histories: Mapping[str, Mapping], path: Path | str) -> Path:
    """One panel per gate: loss and binary accuracy over training steps, and when it all became right.

    `histories` maps gate names to `history.json` content (`step`, `loss`, `accuracy`,
    `first_right_step`; other keys are ignored). Returns `path`.
    """
    if not histories:
        raise ValueError("learning_curves: no histories to draw")
    count = len(histories)
    columns = min(MAX_COLUMNS, count)
    rows = math.ceil(count / columns)
    figure = Figure(
        figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows + LEGEND_HEIGHT), dpi=DPI, layout="constrained"
    )
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax, (name, history) in zip(axes.flat, histories.items(), strict=False):
        _history_panel(ax, str(name), history)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color=LOSS_COLOUR, label="loss (left axis)"),
        Line2D([], [], color=ACCURACY_COLOUR, label="binary accuracy (right axis)"),
        Line2D([], [], color="black", linestyle="--", label="every row right from here on"),
    ]
    figure.legend(handles=handles, loc="outside upper center", ncols=3, frameon=False)
    return save_figure(figure, path)


def _history_panel(ax, name: str, history: Mapping) -> None:
    """Loss on a log axis when it spans decades, accuracy on a twin axis fixed to 0..1, steps on symlog."""
    steps = list(history["step"])
    loss = list(history["loss"])
    accuracy = list(history["accuracy"])
    first_right = history.get("first_right_step")
    ax.set_title(name if first_right is not None else f"{name}: never 100%")
    ax.set_xlabel("training step (log scale past 10)")
    ax.set_ylabel("loss", color=LOSS_COLOUR)
    ax.tick_params(axis="y", which="both", colors=LOSS_COLOUR)
    ax.plot(steps, loss, color=LOSS_COLOUR, linewidth=1.5)
    if loss and min(loss) > 0 and max(loss) / min(loss) >= 10:  # log only when loss spans a decade or more
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(_plain_number))
        if max(loss) / min(loss) < 100:  # under two decades there are too few 10^k labels to read by
            ax.yaxis.set_minor_formatter(FuncFormatter(_two_and_five))
        else:
            ax.yaxis.set_minor_formatter(NullFormatter())
    # Gates are often right within a few dozen steps of a thousand: a log step axis shows that rise.
    ax.set_xscale("symlog", linthresh=10, linscale=0.5)
    ax.xaxis.set_major_formatter(FuncFormatter(_plain_number))
    if steps:
        ax.set_xlim(0, max(steps[-1], 1))
    twin = ax.twinx()
    twin.plot(steps, accuracy, color=ACCURACY_COLOUR, linewidth=1.5)
    twin.set_ylim(0, 1.05)
    twin.set_ylabel("binary accuracy", color=ACCURACY_COLOUR)
    twin.tick_params(axis="y", colors=ACCURACY_COLOUR)
    ax.grid(True, alpha=0.3)
    if first_right is not None:
        twin.axvline(first_right, color="black", linestyle="--", linewidth=1)
        end = steps[-1] if steps else first_right
        on_left = end > 0 and first_right > 0.6 * end
        twin.annotate(  # low down: accuracy is near 1 after the line, and loss is low only at the far right
            f"100% at step {first_right}",
            xy=(first_right, 0.08),
            xytext=(-4 if on_left else 4, 0),
            textcoords="offset points",
            ha="right" if on_left else "left",
            va="center",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )


def _plain_number(value: float, _position: object = None) -> str:
    """Log-axis labels as 0.1, 0.01: easier to read than 10^-1 for a loss."""
    return f"{value:g}"


def _two_and_five(value: float, _position: object = None) -> str:
    """Label only the 2s and 5s between decades, enough to read a short log axis without clutter."""
    mantissa = round(value / 10 ** math.floor(math.log10(value)), 6) if value > 0 else 0
    return f"{value:g}" if mantissa in (2, 5) else ""


def decision_surface(model: GateModel, path: Path | str, resolution: int = 101) -> Path:
    """What an exported 2-input model answers between the bits: its probability over [0, 1]^2.

    Shows how confidently, and with what shape of boundary, the shipped model separates the truth
    table's points. One panel per output. Returns `path`.
    """
    return save_figure(_surface_figure(model, resolution), path)


def _surface_grid(model: GateModel, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid coordinates [resolution] and probabilities [resolution (second input), resolution, outputs]."""
    if model.inputs != 2:
        raise ValueError(
            f"gate {model.name!r}: a decision surface needs exactly 2 inputs, this model has {model.inputs} "
            f"({', '.join(model.input_names)})"
        )
    if resolution < 2:
        raise ValueError(f"gate {model.name!r}: resolution must be at least 2, got {resolution}")
    axis = np.linspace(0.0, 1.0, resolution, dtype=np.float32)
    first, second = np.meshgrid(axis, axis)  # rows follow the second input (y), columns the first (x)
    points = np.column_stack([first.ravel(), second.ravel()])
    probabilities = model.probabilities_between(points).reshape(resolution, resolution, model.outputs)
    return axis, probabilities


def _surface_figure(model: GateModel, resolution: int = 101) -> Figure:
    """The decision-surface figure, kept separate so tests can find data points in its pixels."""
    axis, probabilities = _surface_grid(model, resolution)
    several = model.outputs > 1
    width = SURFACE_PANEL[0] * model.outputs + SURFACE_EXTRA_WIDTH
    figure = Figure(figsize=(width, SURFACE_PANEL[1]), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, model.outputs, squeeze=False)[0]
    half = 0.5 / (
        resolution - 1
    )  # samples sit at pixel centres, so the image reaches half a cell past 0 and 1
    image = None
    for index, ax in enumerate(axes):
        grid = probabilities[:, :, index]
        image = ax.imshow(
            grid,
            origin="lower",
            extent=(-half, 1 + half, -half, 1 + half),
            cmap=SURFACE_CMAP,
            vmin=0.0,
            vmax=1.0,
            interpolation="bilinear",
        )
        ax.contour(axis, axis, grid, levels=[0.5], colors="black", linewidths=1.5, linestyles="solid")
        _truth_points(ax, model.rows, model.table[:, index])
        ax.set_xlim(-SURFACE_PAD, 1 + SURFACE_PAD)  # room for the corner markers, clear of the tick labels
        ax.set_ylim(-SURFACE_PAD, 1 + SURFACE_PAD)
        ax.set_aspect("equal")
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
        ax.set_xlabel(model.input_names[0])
        ax.set_ylabel(model.input_names[1])
        ax.set_title(f"output {model.output_names[index]}" if several else f"{model.name}: exported model")
    if several:
        figure.suptitle(f"{model.name}: exported model")
    colour_bar = figure.colorbar(image, ax=list(axes), shrink=0.85)
    colour_bar.set_label("probability of 1")
    handles = [
        Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor="black",
               markeredgecolor="white", label="truth 1"),
        Line2D([], [], marker="o", linestyle="none", markersize=9, markerfacecolor="white",
               markeredgecolor="black", markeredgewidth=2, label="truth 0"),
        Line2D([], [], color="black", linewidth=1.5, label="probability 0.5"),
    ]  # fmt: skip
    figure.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return figure


def _truth_points(ax, rows: np.ndarray, truth: np.ndarray) -> None:
    """The table's corners: filled for 1, hollow for 0, each labelled with its bit just inside the square."""
    outline = [patheffects.withStroke(linewidth=3, foreground="white")]
    for (x, y), bit in zip(rows.tolist(), truth.tolist(), strict=True):
        if bit:
            style = {"markerfacecolor": "black", "markeredgecolor": "white", "markeredgewidth": 1.5}
        else:
            style = {"markerfacecolor": "white", "markeredgecolor": "black", "markeredgewidth": 2}
        ax.plot([x], [y], marker="o", markersize=12, linestyle="none", zorder=5, **style)
        ax.annotate(
            str(bit),
            xy=(x, y),
            xytext=(14 if x < 0.5 else -14, 14 if y < 0.5 else -14),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=12,
            fontweight="bold",
            path_effects=outline,
            zorder=6,
        )


def sweep_chart(rows: Sequence[Mapping], settings: Sequence[str], path: Path | str, title: str) -> Path:
    """Which settings learn the gate, and how fast: share of seeds verified and median steps to 100%.

    One bar pair per row of `rows`, labelled with the values of the keys in `settings`. The figure
    grows with the number of rows so the labels stay readable. Returns `path`.
    """
    if not rows:
        raise ValueError("sweep_chart: no sweep rows to draw")
    labels = [_setting_label(row, settings) for row in rows]
    success = [float(row["success_rate"]) for row in rows]
    steps = [row.get("median_steps") for row in rows]
    figure = Figure(figsize=_sweep_size(labels), dpi=DPI, layout="constrained")
    rate_ax, steps_ax = figure.subplots(1, 2, sharey=True, width_ratios=[1, 1])
    positions = np.arange(len(rows))
    font = 9 if len(rows) <= 60 else 8
    rate_ax.barh(positions, success, color="tab:green", height=0.7)
    rate_ax.set_xlim(0, 1.15)
    rate_ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    rate_ax.set_xlabel("share of seeds verified")
    rate_ax.set_yticks(positions, labels, fontsize=font)
    for y, value in zip(positions, success, strict=True):
        rate_ax.text(value + 0.02, y, f"{value:.0%}", va="center", fontsize=font - 1)
    known = [float(value) for value in steps if value is not None]
    right_edge = max(known) * 1.2 if known and max(known) > 0 else 1.0
    steps_ax.barh(positions, [0 if v is None else float(v) for v in steps], color="tab:purple", height=0.7)
    steps_ax.set_xlim(0, right_edge)
    steps_ax.set_xlabel("median steps to 100%")
    for y, value in zip(positions, steps, strict=True):
        text, colour = ("never", "grey") if value is None else (f"{float(value):g}", "black")
        steps_ax.text(right_edge * 0.01 + (0 if value is None else float(value)), y, text,
                      va="center", fontsize=font - 1, color=colour)  # fmt: skip
    for ax in (rate_ax, steps_ax):
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first setting at the top, as in the sweep's CSV
        ax.tick_params(axis="y", length=0)
        if len(rows) > 30:  # a tall chart: scale readable at both ends
            ax.tick_params(axis="x", top=True, labeltop=True)
    figure.suptitle(title)
    return save_figure(figure, path)


def capacity_chart(rows: Sequence[Mapping], settings: Sequence[str], path: Path | str, title: str) -> Path:
    """How many of a family's functions each setting learned (verified by at least one seed).

    One bar per row of `rows`, labelled with the values of `settings`, the count and share written
    beside it, and a line at the whole family. Returns `path`.
    """
    if not rows:
        raise ValueError("capacity_chart: no capacity rows to draw")
    labels = [_setting_label(row, settings) for row in rows]
    total = int(rows[0]["gates"])
    learned = [int(row["learned"]) for row in rows]
    figure = Figure(
        figsize=(_sweep_size(labels)[0] * 0.6, _sweep_size(labels)[1]), dpi=DPI, layout="constrained"
    )
    ax = figure.subplots()
    positions = np.arange(len(rows))
    ax.barh(positions, learned, color="tab:green", height=0.7)
    ax.axvline(total, color="black", linestyle="--", linewidth=1)
    for y, value in zip(positions, learned, strict=True):
        ax.text(value + total * 0.01, y, f"{value} ({value / total:.0%})", va="center", fontsize=8)
    ax.set_xlim(0, total * 1.25)
    ax.set_xlabel(f"functions learned, of {total}")
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(True, axis="x", alpha=0.3)
    figure.suptitle(title)
    return save_figure(figure, path)


def _setting_label(row: Mapping, settings: Sequence[str]) -> str:
    """`hidden=[16] activation=relu`: the setting's own values, in the order of `settings`."""
    return " ".join(f"{key}={_value_text(row.get(key))}" for key in settings)


def _value_text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_text(item) for item in value) + "]"
    return str(value)


def _sweep_size(labels: Sequence[str]) -> tuple[float, float]:
    """Inches: room for the longest label plus two bar panels; a fixed height per row."""
    longest = max((len(label) for label in labels), default=0)
    width = min(8.0 + 0.068 * longest, 24.0)
    height = max(SWEEP_MIN_HEIGHT, SWEEP_ROW_HEIGHT * len(labels) + SWEEP_EXTRA_HEIGHT)
    return width, height
