"""The pictures: right size, right content where it can be checked from pixels, refusals that name the gate.

No training here: histories and sweep rows are synthetic, surfaces come from the committed models.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from gatenet import plots, runtime

EXPORTED = Path(__file__).resolve().parent.parent / "exported"


def history(first_right_step: int | None, total: int = 100) -> dict:
    """A history.json-shaped dict: loss falls, accuracy climbs to 1.0 at `first_right_step` (or never)."""
    steps = list(range(total + 1))
    loss = [0.7 * math.exp(-step / 25) + 0.001 for step in steps]
    if first_right_step is None:
        accuracy = [0.5 if step < total // 2 else 0.75 for step in steps]
    else:
        accuracy = [1.0 if step >= first_right_step else 0.5 for step in steps]
    # Extra keys as in exported/<gate>/history.json, which the plot must ignore.
    return {"gate": "X", "seed": 0, "worst_margin": 0.3, "step": steps, "loss": loss, "accuracy": accuracy,
            "first_right_step": first_right_step}  # fmt: skip


def sweep_rows(count: int) -> list[dict]:
    hidden = [[4], [16], [16, 16]]
    activation = ["relu", "tanh"]
    rows = []
    for index in range(count):
        rows.append(
            {
                "hidden": hidden[index % 3],
                "activation": activation[index // 3 % 2],
                "learning_rate": [0.01, 0.1][index // 6 % 2],
                "steps": 2000,
                "seeds": 20,
                "success_rate": (index % 5) / 4,
                "median_steps": None if index % 5 == 0 else 50.0 * index,
                "median_margin": 0.25,
            }
        )
    return rows


def png(path: Path) -> np.ndarray:
    """The written file as RGB floats [height, width, 3], after checking it is a non-empty PNG."""
    assert path.is_file() and path.stat().st_size > 1000
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"), dtype=np.float64) / 255


def test_plots_module_pulls_in_neither_tensorflow_nor_pyplot():
    heavy = "{'tensorflow', 'keras', 'matplotlib.pyplot'}"
    code = f"import sys, gatenet.plots; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_learning_curves_four_gates_one_row_of_panels(tmp_path):
    histories = {"XOR": history(30), "AND": history(12), "OR": history(None), "HALF_ADDER": history(85)}
    path = plots.learning_curves(histories, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    pixels = png(path)
    # 4 columns x 1 row of 4 x 3 inch panels, plus half an inch for the shared legend, at 100 dpi.
    assert pixels.shape == (350, 1600, 3)


def test_learning_curves_grid_wraps_at_four_columns_and_leaves_unused_cells_blank(tmp_path):
    histories = {f"G{index}": history(20 + index) for index in range(5)}
    pixels = png(plots.learning_curves(histories, str(tmp_path / "five.png")))
    assert pixels.shape == (650, 1600, 3)
    # Second row holds one panel; the three cells to its right are hidden, so plain white.
    assert np.all(pixels[400:, 450:] == 1.0)
    assert not np.all(pixels[400:, :400] == 1.0)


def test_learning_curves_panel_marks_first_right_step_or_says_never():
    figure = Figure()
    right, never = figure.subplots(1, 2)
    plots._history_panel(right, "XOR", history(30))
    plots._history_panel(never, "OR", history(None))
    assert right.get_title() == "XOR"
    assert never.get_title() == "OR: never 100%"
    assert right.get_yscale() == "log"
    assert right.get_xlabel() == "training step (log scale past 10)" and right.get_xscale() == "symlog"

    def twin_of(ax):
        return next(other for other in figure.axes if other is not ax and other.bbox.bounds == ax.bbox.bounds)

    marks = [line for line in twin_of(right).get_lines() if line.get_linestyle() == "--"]
    assert [list(line.get_xdata()) for line in marks] == [[30, 30]]
    assert any(text.get_text() == "100% at step 30" for text in twin_of(right).texts)
    assert twin_of(right).get_ylim() == (0, 1.05)
    assert not [line for line in twin_of(never).get_lines() if line.get_linestyle() == "--"]


def test_learning_curves_uses_a_linear_loss_axis_when_loss_reaches_zero_or_barely_moves():
    ax = Figure().subplots()
    data = history(10)
    data["loss"][-1] = 0.0
    plots._history_panel(ax, "AND", data)
    assert ax.get_yscale() == "linear"
    flat = Figure().subplots()
    plots._history_panel(
        flat, "PARITY3", dict(history(None), loss=[0.69 - 0.003 * step for step in range(101)])
    )
    assert flat.get_yscale() == "linear"


def test_learning_curves_refuses_nothing_to_draw(tmp_path):
    with pytest.raises(ValueError, match="no histories"):
        plots.learning_curves({}, tmp_path / "none.png")


def test_decision_surface_of_the_committed_xor_model(tmp_path):
    model = runtime.load(EXPORTED / "xor.onnx")
    path = plots.decision_surface(model, tmp_path / "xor.png")
    assert path == tmp_path / "xor.png"
    assert png(path).shape == (440, 520, 3)


def test_decision_surface_colours_follow_the_model(tmp_path):
    """Where the exported XOR model says 1 the picture is drawn in the colour map's colour for its value."""
    model = runtime.load(EXPORTED / "xor.onnx")
    pixels = png(plots.decision_surface(model, tmp_path / "xor.png"))
    # The same figure, laid out the same way, tells where data points land in the PNG.
    figure = plots._surface_figure(model)
    FigureCanvasAgg(figure).draw()
    ax = figure.axes[0]
    height = pixels.shape[0]
    cmap = colormaps[plots.SURFACE_CMAP]
    points = np.array([[0.2, 0.8], [0.8, 0.2], [0.2, 0.2], [0.8, 0.8]], dtype=np.float32)
    probabilities = model.probabilities_between(points)[:, 0]
    assert np.all(probabilities[:2] > 0.9) and np.all(probabilities[2:] < 0.1)  # XOR, confidently
    for point, probability in zip(points, probabilities, strict=True):
        x, y = ax.transData.transform(point)
        colour = pixels[int(round(height - y)), int(round(x))]
        assert np.allclose(colour, cmap(float(probability))[:3], atol=0.08), (point, colour)
        red, _, blue = colour
        assert (red > blue + 0.3) if probability > 0.5 else (blue > red + 0.3)


def test_decision_surface_two_outputs_side_by_side(tmp_path):
    model = runtime.load(EXPORTED / "half_adder.onnx")
    assert model.outputs == 2
    pixels = png(plots.decision_surface(model, tmp_path / "half_adder.png", resolution=41))
    assert pixels.shape == (440, 920, 3)  # one 4 inch panel more than a 1-output gate
    figure = plots._surface_figure(model, resolution=21)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == ["output sum", "output carry"]
    assert figure.get_suptitle() == "HALF_ADDER: exported model"
    assert figure.axes[0].get_xlabel() == "a" and figure.axes[0].get_ylabel() == "b"
    colour_bar = figure.axes[-1]
    assert colour_bar.get_ylabel() == "probability of 1"


def test_decision_surface_refuses_a_three_input_gate(tmp_path):
    model = runtime.load(EXPORTED / "full_adder.onnx")
    with pytest.raises(ValueError, match=r"FULL_ADDER.*2 inputs.*has 3"):
        plots.decision_surface(model, tmp_path / "full_adder.png")
    assert not (tmp_path / "full_adder.png").exists()


def test_surface_grid_matches_the_truth_table_at_the_corners():
    model = runtime.load(EXPORTED / "xor.onnx")
    axis, probabilities = plots._surface_grid(model, 11)
    assert axis[0] == 0 and axis[-1] == 1 and probabilities.shape == (11, 11, 1)
    # Rows follow the second input (b), columns the first (a); corners are the truth table.
    corners = [
        probabilities[0, 0, 0],
        probabilities[-1, 0, 0],
        probabilities[0, -1, 0],
        probabilities[-1, -1, 0],
    ]
    assert [int(value > 0.5) for value in corners] == model.table[:, 0].tolist()  # (a, b) = 00, 01, 10, 11


def test_sweep_chart_twelve_settings(tmp_path):
    rows = sweep_rows(12)
    path = plots.sweep_chart(rows, ["hidden", "activation", "learning_rate"], tmp_path / "s.png", "XOR: 12")
    assert path == tmp_path / "s.png"
    height, width, _ = png(path).shape
    assert height == 430  # 12 rows x 0.25 inch + 1.3 inch of title and axes
    assert 1000 <= width <= 2400


def test_sweep_chart_grows_a_quarter_inch_per_setting_with_a_minimum(tmp_path):
    settings = ["hidden", "activation"]
    small = png(plots.sweep_chart(sweep_rows(2), settings, tmp_path / "2.png", "two"))
    hundred = png(plots.sweep_chart(sweep_rows(100), settings, tmp_path / "100.png", "hundred"))
    many = png(plots.sweep_chart(sweep_rows(200), settings, tmp_path / "200.png", "many"))
    assert small.shape[0] == 300
    assert many.shape[0] - hundred.shape[0] == 100 * 25
    assert many.shape[1] == hundred.shape[1]


def test_sweep_labels_use_only_the_chosen_settings():
    row = sweep_rows(12)[4]
    label = plots._setting_label(row, ["hidden", "activation", "learning_rate"])
    assert label == "hidden=[16] activation=tanh learning_rate=0.01"
    assert plots._setting_label({"hidden": (16, 8), "learning_rate": 0.001}, ["hidden", "learning_rate"]) == (
        "hidden=[16, 8] learning_rate=0.001"
    )


def test_sweep_chart_refuses_no_rows(tmp_path):
    with pytest.raises(ValueError, match="no sweep rows"):
        plots.sweep_chart([], ["hidden"], tmp_path / "none.png", "empty")
