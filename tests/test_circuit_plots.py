"""Circuit pictures: schematics whose wires really join the named ports, and the margin-by-depth chart.

Schematics are checked in the SVG that `dot` wrote: every name is drawn, every wire is one edge, and
each edge starts on the output port it comes from and ends on the input port it drives (found from
the drawn geometry, not from the graph source). The chart is checked from pixels, as in test_plots.py.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from PIL import Image

from gatenet import circuit_plots
from gatenet.plugins import collect_gates

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = r"-?\d+(?:\.\d+)?"
TOUCH = 3.0  # points: how far a wire's end may sit from the port cell it joins


@pytest.fixture(scope="module")
def circuits():
    registry = collect_gates()
    assert {"mux4", "add4", "add8", "full_adder_wired"} <= set(registry.circuits)
    return registry.circuits


@pytest.fixture(scope="module")
def drawn(circuits, tmp_path_factory):
    """Each circuit's schematic, drawn once: key -> (png path, svg path)."""
    out_dir = tmp_path_factory.mktemp("schematics")
    return {
        key: circuit_plots.schematic(circuits[key], out_dir)
        for key in ("mux4", "add4", "add8", "full_adder_wired")
    }


def _dot_installed(function):
    """Schematic tests fail, never skip, without Graphviz: .ci/run installs it."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        assert shutil.which("dot"), "Graphviz's dot is not installed (apt-get install graphviz)"
        return function(*args, **kwargs)

    return run


needs_dot = _dot_installed


def wires(netlist: dict) -> Counter:
    """Every wire of the netlist as (source, sink): sources `a` or `x.out`, sinks `x.a` or an output name."""
    expected = Counter()
    for part in netlist["parts"]:
        for bit, source in part["inputs"].items():
            expected[(source, f"{part['part']}.{bit}")] += 1
    for output, source in netlist["outputs"].items():
        expected[(source, output)] += 1
    return expected


def points(text: str) -> np.ndarray:
    return np.array([float(value) for value in re.findall(NUMBER, text)]).reshape(-1, 2)


def svg_cells(root: ET.Element) -> list[tuple[str, str, np.ndarray]]:
    """The drawn places a wire can join: (kind, label, [[xmin, ymin], [xmax, ymax]]).

    A part's port cell is a bordered box followed by its bit name, labelled `part.bit` (the part's
    name is its bold text); a terminal is its outline, labelled with its name.
    """
    cells = []
    for node in root.iter(f"{SVG}g"):
        if node.get("class") != "node":
            continue
        texts = list(node.iter(f"{SVG}text"))
        bold = [text.text for text in texts if text.get("font-weight") == "bold"]
        if not bold:
            outline = points(node.find(f"{SVG}polygon").get("points"))
            cells.append(("terminal", texts[0].text, np.array([outline.min(0), outline.max(0)])))
            continue
        children = list(node)
        for box, text in zip(children, children[1:], strict=False):
            if box.tag == f"{SVG}polygon" and box.get("fill") == "none" and text.tag == f"{SVG}text":
                outline = points(box.get("points"))
                cells.append(("port", f"{bold[0]}.{text.text}", np.array([outline.min(0), outline.max(0)])))
    return cells


def joined(cells, point: np.ndarray) -> str:
    """The label of the one cell the point touches."""
    distances = [
        np.linalg.norm(np.maximum(0, np.maximum(box[0] - point, point - box[1]))) for _, _, box in cells
    ]
    near = [cells[i][1] for i in np.flatnonzero(np.array(distances) <= TOUCH)]
    assert len(near) == 1, (point, near)
    return near[0]


def svg_wires(root: ET.Element) -> Counter:
    """Every drawn edge as (source, sink), from where its line starts and where its arrow points."""
    cells = svg_cells(root)
    found = Counter()
    for edge in root.iter(f"{SVG}g"):
        if edge.get("class") != "edge":
            continue
        start = points(edge.find(f"{SVG}path").get("d"))[0]
        arrow = points(edge.find(f"{SVG}polygon").get("points"))
        tip = arrow[np.argmax(arrow[:, 0])]  # wires run left to right
        found[(joined(cells, start), joined(cells, tip))] += 1
    return found


def test_circuit_plots_module_pulls_in_no_tensorflow_onnx_pyplot_or_graphviz():
    heavy = "{'tensorflow', 'keras', 'onnx', 'matplotlib.pyplot', 'graphviz'}"
    code = f"import sys, gatenet.circuit_plots; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"  # graphviz only once a schematic is drawn


@needs_dot
@pytest.mark.parametrize("key", ["mux4", "add4", "add8"])
def test_schematic_writes_a_png_and_an_svg(drawn, key):
    png, svg = drawn[key]
    assert png.name == f"{key}_schematic.png" and svg.name == f"{key}_schematic.svg"
    assert png.parent == svg.parent
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.width >= 300 and image.height >= 150
        pixels = np.asarray(image.convert("L"))
    assert 0.01 < (pixels < 128).mean() < 0.5  # drawn on, not blank and not black
    assert ET.parse(svg).getroot().tag == f"{SVG}svg"


@needs_dot
@pytest.mark.parametrize("key", ["mux4", "add4", "add8", "full_adder_wired"])
def test_schematic_names_every_terminal_part_and_gate(circuits, drawn, key):
    circuit = circuits[key]
    root = ET.parse(drawn[key][1]).getroot()
    texts = {text.text for text in root.iter(f"{SVG}text")}
    parts = circuit.netlist["parts"]
    wanted = {
        *circuit.input_names,
        *circuit.output_names,
        *(p["part"] for p in parts),
        *(p["gate"] for p in parts),
    }
    assert wanted <= texts, wanted - texts
    for part in parts:  # every port bit is written on its part
        assert {*part["inputs"], *part["outputs"]} <= texts


@needs_dot
@pytest.mark.parametrize("key", ["mux4", "add4", "add8", "full_adder_wired"])
def test_schematic_draws_one_edge_per_wire_from_the_right_port_to_the_right_port(circuits, drawn, key):
    netlist = circuits[key].netlist
    root = ET.parse(drawn[key][1]).getroot()
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == sum(len(part["inputs"]) for part in netlist["parts"]) + len(netlist["outputs"])
    assert svg_wires(root) == wires(netlist)


@needs_dot
def test_schematic_shows_which_output_of_a_multi_output_gate_each_wire_leaves(circuits, drawn):
    found = svg_wires(ET.parse(drawn["add4"][1]).getroot())
    assert found[("s0.carry_out", "s1.carry_in")] == 1
    assert found[("s0.sum", "sum0")] == 1
    assert found[("s3.carry_out", "carry_out")] == 1
    assert not any(source == "s0.sum" and sink.endswith("carry_in") for source, sink in found)


@needs_dot
def test_schematic_draws_a_part_that_is_a_circuit_dashed_and_filled_differently(circuits, drawn):
    root = ET.parse(drawn["full_adder_wired"][1]).getroot()
    looks = {}
    for node in root.iter(f"{SVG}g"):
        bold = [t.text for t in node.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
        if node.get("class") == "node" and bold:
            shapes = [*node.iter(f"{SVG}polygon"), *node.iter(f"{SVG}path")]
            dashed = any(shape.get("stroke-dasharray") for shape in shapes)
            words = {t.text for t in node.iter(f"{SVG}text")}
            looks[bold[0]] = (dashed, shapes[0].get("fill"), "circuit" in words)
    assert {p["part"]: p["circuit"] for p in circuits["full_adder_wired"].netlist["parts"]} == {
        "h1": True,
        "h2": True,
        "o": False,
    }
    assert looks["h1"] == looks["h2"] == (True, circuit_plots.CIRCUIT_FILL, True)
    assert looks["o"] == (False, circuit_plots.GATE_FILL, False)
    # The same in the graph source, and none in a circuit made only of gates.
    source = circuit_plots.schematic_graph(circuits["add8"]).source
    assert source.count('STYLE="dashed"') == 2
    assert 'STYLE="dashed"' not in circuit_plots.schematic_graph(circuits["mux4"]).source


def test_schematic_without_dot_says_how_to_install_it(circuits, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot to be found
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as caught:
        circuit_plots.schematic(circuits["mux4"], tmp_path / "out")
    assert "\n" not in str(caught.value)
    assert not list((tmp_path / "out").glob("*"))


def test_schematic_without_the_graphviz_package_raises_import_error(circuits, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError):
        circuit_plots.schematic(circuits["mux4"], tmp_path)


# The margin-by-depth chart.


def pixel_at(figure, pixels: np.ndarray, x: float, y: float) -> np.ndarray:
    """The PNG's colour where data point (x, y) of the figure's axes lands."""
    FigureCanvasAgg(figure).draw()
    column, row = figure.axes[0].transData.transform((x, y))
    return pixels[int(round(pixels.shape[0] - row)), int(round(column))]


def read_png(path: Path) -> np.ndarray:
    assert path.is_file() and path.stat().st_size > 1000
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"), dtype=np.float64) / 255


def warning_pixels(pixels: np.ndarray) -> int:
    return int(np.all(np.abs(pixels - to_rgb(circuit_plots.WARNING_COLOUR)) < 0.06, axis=2).sum())


def test_margin_by_depth_marks_the_depths_below_the_margin_in_the_warning_colour(tmp_path):
    margins = [0.45, 0.36, 0.24, 0.14, 0.06, 0.03]
    path = circuit_plots.margin_by_depth("PARITY8_TREE", margins, 0.1, tmp_path / "margin.png")
    assert path == tmp_path / "margin.png"
    pixels = read_png(path)
    assert pixels.shape == (400, 700, 3)  # MARGIN_SIZE at 100 dpi
    figure = circuit_plots._margin_figure("PARITY8_TREE", margins, 0.1)
    for depth in (5, 6):  # below 0.1
        assert np.allclose(pixel_at(figure, pixels, depth, margins[depth - 1]), to_rgb("tab:red"), atol=0.06)
    for depth in (1, 2, 3):
        assert np.allclose(pixel_at(figure, pixels, depth, margins[depth - 1]), to_rgb("tab:blue"), atol=0.06)
    # The dashed margin line: dark somewhere along y = 0.1 left of the first point.
    line = [pixel_at(figure, pixels, x, 0.1) for x in np.linspace(0.55, 0.95, 9)]
    assert min(colour.max() for colour in line) < 0.3
    assert warning_pixels(pixels) > 100


def test_margin_by_depth_axes_and_title():
    figure = circuit_plots._margin_figure("ADD4", [0.4, 0.3, 0.2], 0.1)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "gate depth"
    assert ax.get_ylabel() == "worst margin (distance from 0.5 on the right side)"
    assert "ADD4" in ax.get_title() and "analog wiring" in ax.get_title()
    assert ax.get_ylim()[0] <= 0 and 0.5 <= ax.get_ylim()[1] <= 0.55
    FigureCanvasAgg(figure).draw()
    ticks = [tick for tick in ax.get_xticks() if ax.get_xlim()[0] <= tick <= ax.get_xlim()[1]]
    assert ticks == [1, 2, 3]
    assert any("verification margin" in text.get_text() for text in ax.get_legend().get_texts())


def test_margin_by_depth_uses_no_warning_colour_when_every_depth_clears_the_margin(tmp_path):
    pixels = read_png(circuit_plots.margin_by_depth("MUX4", [0.45, 0.4, 0.35], 0.1, tmp_path / "ok.png"))
    assert warning_pixels(pixels) == 0


def test_margin_by_depth_refuses_an_empty_list_naming_the_circuit(tmp_path):
    with pytest.raises(ValueError, match="ADD8"):
        circuit_plots.margin_by_depth("ADD8", [], 0.1, tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_gatenet_plot_without_dot_draws_the_rest_and_says_what_needs_graphviz(tmp_path, monkeypatch):
    """Without Graphviz, `gatenet plot` of a folder still draws the gates' pictures and exits 0; a
    schematic asked for by name that cannot be drawn is a failure."""
    from click.testing import CliRunner
    from folder_tools import copy_models

    from gatenet.cli import cli

    folder = copy_models(tmp_path / "models", ["xor", "and", "half_adder_wired"])
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot to be found
    result = CliRunner().invoke(cli, ["plot", "--dir", str(folder), "--out", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plots" / "learning_curves.png").exists()
    assert (tmp_path / "plots" / "xor_surface.png").exists()
    assert (
        "note: no schematic of HALF_ADDER_WIRED: drawing a schematic needs Graphviz's `dot`" in result.output
    )
    named = CliRunner().invoke(
        cli, ["plot", "HALF_ADDER_WIRED", "--dir", str(folder), "--out", str(tmp_path / "p2")]
    )
    assert named.exit_code == 1 and "apt-get install graphviz" in named.output
