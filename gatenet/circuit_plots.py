"""Pictures of circuits: the schematic of a netlist, and how an analog circuit's margin decays with depth.

The schematic is laid out by Graphviz (`dot`), because placing parts and routing wires by hand does not
scale past a few gates; the `graphviz` package is imported only when a schematic is drawn, so the margin
chart works without it. The chart is matplotlib on `Figure` + Agg, like `gatenet.plots`. No TensorFlow and
no ONNX here: everything comes from a resolved circuit's netlist or from numbers already measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from gatenet.netlist import FUNCTION_NAMES, Netlist
from gatenet.plots import DPI, save_figure

if TYPE_CHECKING:
    import graphviz

    from gatenet.circuit import Circuit

FONT = "Helvetica"
INPUT_FILL = "#d9ead3"  # circuit inputs: green terminals on the left
OUTPUT_FILL = "#fce5cd"  # circuit outputs: orange terminals on the right
GATE_FILL = "#ffffff"
CIRCUIT_FILL = "#dde6f6"  # a part that is itself a circuit: blue, dashed outline
PORT_FILL = "#f3f3f3"
MARGIN_SIZE = (7.0, 4.0)  # inches: the margin-by-depth chart is 700 x 400 pixels at DPI
MARGIN_COLOUR = "tab:blue"
WARNING_COLOUR = "tab:red"  # a depth whose worst margin is below the verification margin
LINE_COLOUR = "black"


@dataclass(frozen=True)
class Drawn:
    """What a schematic shows: a circuit's name, its bits, and its parts in netlist order (the shape
    `Circuit.netlist` has: each part's gate, its inputs by bit and where each comes from, its outputs)."""

    key: str
    name: str
    description: str
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    netlist: dict


def logic_drawing(name: str, description: str, netlist: Netlist) -> Drawn:
    """A learned logic circuit as a schematic: one part per two-input gate, named by its function; a
    complemented output gets a NOT part (free in the gate count, drawn all the same)."""

    def source(signal: int) -> str:
        return netlist.signal_name(signal) + ("" if signal < len(netlist.inputs) else ".out")

    parts = [
        {
            "part": f"n{k}",
            "gate": FUNCTION_NAMES[node.function],
            "inputs": {"a": source(node.a), "b": source(node.b)},
            "outputs": ["out"],
            "circuit": False,
        }
        for k, node in enumerate(netlist.nodes)
    ]
    outputs = {}
    for bit, out in zip(netlist.output_names, netlist.outputs, strict=True):
        if out.signal is None:
            parts.append(
                {
                    "part": f"{bit}_const",
                    "gate": str(int(out.complement)),
                    "inputs": {},
                    "outputs": ["out"],
                    "circuit": False,
                }
            )
            outputs[bit] = f"{bit}_const.out"
        elif out.complement:
            parts.append(
                {
                    "part": f"not_{bit}",
                    "gate": "NOT",
                    "inputs": {"a": source(out.signal)},
                    "outputs": ["out"],
                    "circuit": False,
                }
            )
            outputs[bit] = f"not_{bit}.out"
        else:
            outputs[bit] = source(out.signal)
    drawn_netlist = {"parts": parts, "outputs": outputs}
    return Drawn(name.lower(), name, description, netlist.inputs, netlist.output_names, drawn_netlist)


def schematic(circuit: Circuit | Drawn, out_dir: Path) -> list[Path]:
    """Draw the circuit's top level as `<key>_schematic.png` and `.svg` in `out_dir`; return both paths.

    Parts that are circuits stay one box (dashed, blue), so a circuit of circuits stays readable; each
    wire leaves the named output port of its part and enters the named input port it drives.
    Raises RuntimeError when Graphviz's `dot` program is missing (the Python package alone cannot draw).
    """
    import graphviz

    if not circuit.netlist:
        raise ValueError(f"schematic: circuit {circuit.name!r} is not resolved against the registered gates")
    graph = schematic_graph(circuit)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in ("png", "svg"):
        try:
            data = graph.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise RuntimeError(
                "drawing a schematic needs Graphviz's `dot` program: apt-get install graphviz"
            ) from None
        path = out_dir / f"{circuit.key}_schematic.{fmt}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def schematic_graph(circuit: Circuit | Drawn) -> graphviz.Digraph:
    """The schematic as a Graphviz graph, left to right: inputs, parts in netlist order, outputs."""
    import graphviz

    netlist = circuit.netlist
    graph = graphviz.Digraph(name=circuit.key)
    title = f"<<B>{escape(circuit.name)}</B>"
    if circuit.description:
        title += f"<BR/><FONT POINT-SIZE='11'>{escape(circuit.description)}</FONT>"
    graph.attr(rankdir="LR", label=title + ">", labelloc="t", fontname=FONT, nodesep="0.15", ranksep="0.6")
    graph.attr("node", fontname=FONT, fontsize="12")
    graph.attr("edge", arrowsize="0.6", penwidth="1.1")

    # Terminals pinned to the first and last rank, in declared order (invisible chains keep it top to bottom).
    for side, names, fill, rank in (
        ("in", circuit.input_names, INPUT_FILL, "source"),
        ("out", circuit.output_names, OUTPUT_FILL, "sink"),
    ):
        with graph.subgraph(name=f"{side}puts") as terminals:
            terminals.attr(rank=rank)
            for name in names:
                terminals.node(f"{side}_{name}", label=name, shape="cds", style="filled", fillcolor=fill)
            for upper, lower in zip(names, names[1:], strict=False):
                terminals.edge(f"{side}_{upper}", f"{side}_{lower}", style="invis")

    for part in netlist["parts"]:
        graph.node(f"part_{part['part']}", label=_part_label(part), shape="plain")
        for bit, source in part["inputs"].items():
            graph.edge(_tail(source), f"part_{part['part']}:i_{bit}:w")
    for output, source in netlist["outputs"].items():
        graph.edge(_tail(source), f"out_{output}:w")
    return graph


def _tail(source: str) -> str:
    """Where a wire starts: a circuit input terminal (`a`) or a part's output port (`x.out`)."""
    part, _, bit = source.partition(".")
    return f"in_{part}:e" if not bit else f"part_{part}:o_{bit}:e"


def _part_label(part: Mapping) -> str:
    """An HTML-like table: input ports on the left, name and gate in the middle, output ports right."""
    is_circuit = bool(part["circuit"])
    middle = f"<B>{escape(part['part'])}</B><BR/>{escape(part['gate'])}"
    if is_circuit:
        middle += "<BR/><I><FONT POINT-SIZE='10'>circuit</FONT></I>"
    style = ' STYLE="dashed"' if is_circuit else ""
    fill = CIRCUIT_FILL if is_circuit else GATE_FILL
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4"{style} BGCOLOR="{fill}">'
        f"<TR><TD>{_ports('i', part['inputs'])}</TD>"
        f"<TD>{middle}</TD>"
        f"<TD>{_ports('o', part['outputs'])}</TD></TR></TABLE>>"
    )


def _ports(prefix: str, bits: Sequence[str]) -> str:
    """A column of small port cells, one per bit, each named `i_<bit>` or `o_<bit>` for the wires
    (nothing for a constant, which has no inputs)."""
    if not bits:
        return ""
    rows = "".join(
        f'<TR><TD PORT="{prefix}_{escape(bit)}" BGCOLOR="{PORT_FILL}"><FONT POINT-SIZE="9">{escape(bit)}'
        "</FONT></TD></TR>"
        for bit in bits
    )
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>'


def margin_by_depth(name: str, depth_margins: list[float], margin: float, path: Path) -> Path:
    """Chart an analog circuit's worst gate-output margin at each gate depth against the verification margin.

    Analog wiring passes probabilities between gates unthresholded, so a margin can shrink with every
    gate it passes through; this shows at which depth it falls below `margin`. Returns `path`.
    """
    return save_figure(_margin_figure(name, depth_margins, margin), path)


def _margin_figure(name: str, depth_margins: Sequence[float], margin: float) -> Figure:
    """The chart, separate from saving, so tests can find where data points land in the PNG."""
    if len(depth_margins) == 0:
        raise ValueError(f"margin_by_depth: circuit {name!r} has no gate depths to draw")
    values = np.asarray(depth_margins, dtype=np.float64)
    depths = np.arange(1, len(values) + 1)
    low = values < margin
    figure = Figure(figsize=MARGIN_SIZE, dpi=DPI, layout="constrained")
    ax = figure.subplots()
    ax.plot(depths, values, color=MARGIN_COLOUR, linewidth=1.5, marker="o", markersize=7, zorder=3)
    ax.plot(
        depths[low], values[low], color=WARNING_COLOUR, marker="o", markersize=10, linestyle="none", zorder=4
    )
    ax.axhline(margin, color=LINE_COLOUR, linestyle="--", linewidth=1.2, zorder=2)
    ax.set_xlim(0.5, len(values) + 0.5)
    ax.set_ylim(min(0.0, float(values.min()) - 0.02), max(0.52, float(values.max()) + 0.02))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlabel("gate depth")
    ax.set_ylabel("worst margin (distance from 0.5 on the right side)")
    ax.set_title(f"{name}: worst gate-output margin by depth, analog wiring")
    ax.grid(True, alpha=0.3)
    handles = [Line2D([], [], color=MARGIN_COLOUR, marker="o", label="worst margin at this depth")]
    if low.any():  # the warning colour appears only when some depth is below the margin
        handles.append(
            Line2D(
                [],
                [],
                color=WARNING_COLOUR,
                marker="o",
                linestyle="none",
                label="below the verification margin",
            )
        )
    handles.append(
        Line2D([], [], color=LINE_COLOUR, linestyle="--", label=f"verification margin ({margin:g})")
    )
    ax.legend(handles=handles, loc="best", fontsize=9)
    return figure
