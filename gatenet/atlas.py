"""A capacity atlas: for every NPN class of a family's functions, how small a network learns it.

Functions that are the same up to permuting and negating their inputs and their output (one NPN class,
`gatenet.npn`) are equally hard for a ReLU layer (a permutation or a negated input is a change of the
first layer's weights, a negated output one of the last) and cost the same two-input gates. So the
atlas trains one function per class, its least member, and reports for it:

- how many of `seeds` networks verify (`gatenet.check`, the default margin) at each rung of a ladder
  of hidden layers (`h0`: no hidden layer, logistic regression; then one ReLU layer of h units), with
  everything else gatenet's default network;
- how many of `seeds` single logic networks (`gatenet.logic_learner`, one restart each) find an exact
  circuit at each width, at gatenet's default depth and steps, and the fewest gates any of them found;
- what is known without training: the class's size, the inputs it depends on, a familiar name, whether
  it is a threshold function (linearly separable, so one ReLU unit can represent it), and for up to 3
  inputs its exact minimum of two-input gates (`gatenet.exact_minimum`).

Every class at one rung trains side by side in one program, so a family of 65,536 functions (222
classes) costs one program per hidden size and one per width and seed. Seeds are 0 .. `seeds` - 1:
the same call gives the same table.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from gatenet import exact_minimum, extras, npn
from gatenet.check import DEFAULT_MARGIN
from gatenet.durable import write_atomically
from gatenet.family import chunks
from gatenet.gate import Gate, input_rows
from gatenet.logic_spec import LogicSpec
from gatenet.network import DEFAULT_CHUNK, NetworkSpec

HIDDEN = (0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32)  # 0: no hidden layer
WIDTHS = (1, 2, 4, 8, 16)  # logic nodes per layer
SEEDS = 8
THRESHOLD_INPUTS = 4  # integer weights up to 3 give every threshold function of up to 4 inputs
_THRESHOLD_WEIGHT = {1: 1, 2: 1, 3: 2, 4: 3}

# Familiar functions, each named for its class: (name, inputs it reads, its table from those inputs).
NAMED: tuple[tuple[str, int, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("constant", 0, lambda x: np.zeros(len(x), np.uint8)),
    ("wire", 1, lambda x: x[:, 0]),
    ("AND2", 2, lambda x: x[:, 0] & x[:, 1]),
    ("XOR2", 2, lambda x: x[:, 0] ^ x[:, 1]),
    ("AND3", 3, lambda x: x[:, 0] & x[:, 1] & x[:, 2]),
    ("MAJ3", 3, lambda x: (x.sum(axis=1) >= 2).astype(np.uint8)),
    ("XOR3", 3, lambda x: x[:, 0] ^ x[:, 1] ^ x[:, 2]),
    ("MUX", 3, lambda x: np.where(x[:, 0] == 1, x[:, 1], x[:, 2])),
    ("AND4", 4, lambda x: x.min(axis=1)),
    ("XOR4", 4, lambda x: x.sum(axis=1) % 2),
    ("AT_LEAST_2_OF_4", 4, lambda x: (x.sum(axis=1) >= 2).astype(np.uint8)),
    ("EXACTLY_2_OF_4", 4, lambda x: (x.sum(axis=1) == 2).astype(np.uint8)),
    ("AND2_XOR_AND2", 4, lambda x: (x[:, 0] & x[:, 1]) ^ (x[:, 2] & x[:, 3])),
)


def ks(seeds: int) -> tuple[int, ...]:
    """The seed counts the atlas reports the smallest network for: one, half and all of `seeds`."""
    return tuple(sorted({1, math.ceil(seeds / 2), seeds}))


def atlas(
    gates: Sequence[Gate],
    hidden: Sequence[int] = HIDDEN,
    widths: Sequence[int] = WIDTHS,
    seeds: int = SEEDS,
    network: NetworkSpec | None = None,
    logic: LogicSpec | None = None,
    margin: float = DEFAULT_MARGIN,
    on_program: Callable[[int, int], None] | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> list[dict]:
    """One row per NPN class of `gates` (one output each, all of one input count, at most
    `npn.MAX_INPUTS`), in the order of their least members; docs/atlas.md says what each column means.

    `network` and `logic` are what every rung changes (hidden layer, width), gatenet's defaults if not
    given. `on_program(done, total)` is called once the classes are known (`done` 0) and after each
    training program. A ValueError names what cannot be used, before anything trains.
    """
    inputs = _check(gates, hidden, widths, seeds)
    numbers = npn.tables_to_numbers(np.stack([gate.table[:, 0] for gate in gates]))
    representatives, first, sizes = np.unique(
        npn.classify(numbers, inputs).representative, return_index=True, return_counts=True
    )
    classes = [npn.class_gate(inputs, int(number)) for number in representatives.tolist()]
    total, done = _programs(len(classes), hidden, widths, seeds, chunk), itertools.count(1)

    def advance() -> None:
        if on_program is not None:
            on_program(next(done), total)

    if on_program is not None:
        on_program(0, total)
    relu = _relu_counts(classes, hidden, seeds, network or NetworkSpec(), margin, advance, chunk)
    found = _logic_counts(classes, widths, seeds, logic or LogicSpec(), advance, chunk)
    names = class_names(inputs)
    threshold = threshold_classes(inputs) if inputs <= THRESHOLD_INPUTS else None
    rows = []
    for index, (number, gate) in enumerate(zip(representatives.tolist(), classes, strict=True)):
        counts, (logic_counts, fewest) = relu[index], found[index]
        row = {
            "class": index,
            "representative": hex_table(number, inputs),
            "member": gates[int(first[index])].name,
            "size": int(sizes[index]),
            "support": support(gate.table[:, 0]),
            "name": names.get(number, ""),
            "threshold": "" if threshold is None else "yes" if number in threshold else "no",
            "min_gates": exact_minimum.minimum_gates(gate.table)
            if inputs <= exact_minimum.MAX_INPUTS
            else None,
        }
        row |= {f"relu_h{h}": count for h, count in zip(hidden, counts, strict=True)}
        row |= {f"relu_k{k}": _smallest(hidden, counts, k) for k in ks(seeds)}
        row |= {f"logic_w{w}": count for w, count in zip(widths, logic_counts, strict=True)}
        row |= {f"logic_k{k}": _smallest(widths, logic_counts, k) for k in ks(seeds)}
        row["logic_gates"] = fewest
        rows.append(row)
    return rows


def _programs(
    classes: int, hidden: Sequence[int], widths: Sequence[int], seeds: int, chunk: int = DEFAULT_CHUNK
) -> int:
    """How many training programs `atlas` runs for `classes` classes."""
    relu_parts = math.ceil(classes / max(1, chunk // seeds))
    return len(hidden) * relu_parts + len(widths) * seeds * math.ceil(classes / chunk)


def _check(gates: Sequence[Gate], hidden: Sequence[int], widths: Sequence[int], seeds: int) -> int:
    """The input count of `gates`, or a ValueError naming what the atlas cannot use."""
    if not gates:
        raise ValueError("atlas: no gates")
    if not (isinstance(seeds, int) and seeds >= 1):
        raise ValueError(f"seeds: expected a whole number >= 1, got {seeds!r}")
    if not hidden or any(not isinstance(h, int) or h < 0 for h in hidden):
        raise ValueError(f"hidden: expected sizes >= 0 (0: no hidden layer), got {list(hidden)}")
    if not widths or any(not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"widths: expected logic widths >= 1, got {list(widths)}")
    for name, ladder in (("hidden", hidden), ("widths", widths)):
        if len(set(ladder)) != len(ladder):
            raise ValueError(f"{name}: each size once, got {list(ladder)}")
    inputs = gates[0].inputs
    for gate in gates:
        if gate.outputs != 1:
            raise ValueError(
                f"{gate.name}: the atlas takes one-output functions, it has {gate.outputs} outputs"
            )
        if gate.inputs != inputs:
            raise ValueError(
                f"{gate.name}: {gate.inputs} inputs, but {gates[0].name} has {inputs}; give one input count"
            )
    if not 1 <= inputs <= npn.MAX_INPUTS:
        raise ValueError(f"{gates[0].name}: {inputs} inputs; NPN classes cover 1 to {npn.MAX_INPUTS}")
    return inputs


def hex_table(number: int, inputs: int) -> str:
    """A truth table as hex, bit r = row r, one digit per four rows: XOR2 is 0x6, XOR4 0x6996."""
    return f"0x{number:0{max(1, 2**inputs // 4)}x}"


def support(column: np.ndarray) -> int:
    """How many inputs the function reads: flipping input i changes some output."""
    inputs = int(np.log2(len(column)))
    rows = np.arange(len(column))
    return sum(bool((column != column[rows ^ (1 << i)]).any()) for i in range(inputs))


def class_names(inputs: int) -> dict[int, str]:
    """The least member of each named class (`NAMED`) of `inputs`-input functions, to its name."""
    rows = input_rows(inputs)
    named = [(name, reads, table) for name, reads, table in NAMED if reads <= inputs]
    tables = np.stack([table(rows[:, :reads]) for _, reads, table in named]).astype(np.uint8)
    representatives = npn.classify(npn.tables_to_numbers(tables), inputs).representative.tolist()
    names: dict[int, str] = {}
    for (name, _, _), representative in zip(named, representatives, strict=True):
        names.setdefault(representative, name)
    return names


def threshold_classes(inputs: int) -> set[int]:
    """The least members of the classes of threshold functions (output 1 exactly when a weighted sum
    of the inputs reaches a threshold) of `inputs` <= `THRESHOLD_INPUTS` inputs.

    A negated input is a negated weight, so every class has a member with weights 0 <= w1 <= ... <= wn;
    integer weights up to `_THRESHOLD_WEIGHT[inputs]` reach every threshold function of up to 4 inputs
    (tested: 4, 14, 104 and 1882 functions, OEIS A000609)."""
    if not 1 <= inputs <= THRESHOLD_INPUTS:
        raise ValueError(
            f"inputs: threshold classes are known here for 1 to {THRESHOLD_INPUTS}, got {inputs}"
        )
    rows = input_rows(inputs).astype(np.int64)
    tables = []
    for weights in itertools.combinations_with_replacement(range(_THRESHOLD_WEIGHT[inputs] + 1), inputs):
        sums = rows @ np.array(weights)
        tables += [(sums >= cut).astype(np.uint8) for cut in [*np.unique(sums).tolist(), int(sums.max()) + 1]]
    numbers = npn.tables_to_numbers(np.stack(tables))
    return set(npn.classify(numbers, inputs).representative.tolist())


def _smallest(ladder: Sequence[int], counts: Sequence[int], k: int) -> int | None:
    """The smallest rung with at least `k` seeds verified, or None."""
    return min((rung for rung, count in zip(ladder, counts, strict=True) if count >= k), default=None)


def _relu_counts(
    classes: list[Gate],
    hidden: Sequence[int],
    seeds: int,
    network: NetworkSpec,
    margin: float,
    advance: Callable[[], None],
    chunk: int,
) -> list[list[int]]:
    """Per class, per hidden size: how many of `seeds` networks verify."""
    from gatenet.check import check_table
    from gatenet.trainer import check_network, train_together

    counts: list[list[int]] = [[] for _ in classes]
    specs = [network.with_changes(hidden=(h,) if h else ()) for h in hidden]
    for spec in specs:
        check_network(spec)
    for spec in specs:
        done = 0
        for part in chunks(classes, max(1, chunk // seeds)):
            trained = train_together(part, spec, range(seeds))
            for offset, (gate, trials) in enumerate(zip(part, trained, strict=True)):
                verified = sum(
                    check_table(gate.table, trial.probabilities, margin).verified for trial in trials
                )
                counts[done + offset].append(int(verified))
            done += len(part)
            advance()
    return counts


def _logic_counts(
    classes: list[Gate],
    widths: Sequence[int],
    seeds: int,
    logic: LogicSpec,
    advance: Callable[[], None],
    chunk: int,
) -> list[tuple[list[int], int | None]]:
    """Per class: per width, how many of `seeds` single logic networks (one restart each, no ladder)
    find an exact circuit; and the fewest gates of any circuit found."""
    from gatenet.logic_learner import learn_circuits

    counts: list[list[int]] = [[] for _ in classes]
    fewest: list[int | None] = [None] * len(classes)
    for width in widths:
        spec = replace(logic, width=width, restarts=1, escalate=0)
        tally = [0] * len(classes)
        for seed in range(seeds):
            done = 0
            for part in chunks(classes, chunk):
                for offset, circuit in enumerate(learn_circuits(part, spec, seed)):
                    index = done + offset
                    if circuit.netlist is not None:
                        tally[index] += 1
                        gates = circuit.netlist.gates
                        fewest[index] = gates if fewest[index] is None else min(fewest[index], gates)
                done += len(part)
                advance()
        for index, count in enumerate(tally):
            counts[index].append(count)
    return list(zip(counts, fewest, strict=True))


def summary(rows: Sequence[dict]) -> list[dict]:
    """Per rung of each ladder (`relu_h<h>`, then `logic_w<w>`): how many classes, and how many of
    their functions, it learns on at least one seed and on every seed."""
    seeds = max(int(key[6:]) for key in rows[0] if key.startswith("relu_k"))
    rungs = [key for key in rows[0] if key.startswith(("relu_h", "logic_w"))]
    return [
        {
            "rung": key,
            "classes_some": sum(row[key] >= 1 for row in rows),
            "classes_all": sum(row[key] == seeds for row in rows),
            "functions_some": sum(row["size"] for row in rows if row[key] >= 1),
            "functions_all": sum(row["size"] for row in rows if row[key] == seeds),
        }
        for key in rungs
    ]


def atlas_csv(rows: Sequence[dict]) -> str:
    """The rows as CSV, in their columns' order; a missing value (no rung reached it) is empty."""
    table = io.StringIO()
    writer = csv.DictWriter(table, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return table.getvalue()


def write_atlas(name: str, rows: Sequence[dict], out_dir: Path | str) -> dict[str, Path]:
    """`<name>.csv` and `<name>.png` in `out_dir`, each written whole or not at all; returns them by
    kind. The PNG carries no version metadata, so the same rows give the same bytes."""
    try:
        from gatenet import plots
    except ImportError as error:
        raise extras.error("plot", error, "gatenet atlas") from None
    out_dir = Path(out_dir)
    paths = {"csv": out_dir / f"{name}.csv", "png": out_dir / f"{name}.png"}
    plots.save_figure(atlas_figure(name, rows), paths["png"], metadata={"Software": None})
    write_atomically(paths["csv"], atlas_csv(rows).encode())
    return paths


def difficulty_order(rows: Sequence[dict]) -> list[int]:
    """Row indexes from easiest to hardest for a ReLU layer: by the smallest hidden size that learns
    the class on every seed (then on half, on one), then by fewer seeds verified over the ladder."""
    relu = [key for key in rows[0] if key.startswith("relu_h")]
    k_columns = sorted((key for key in rows[0] if key.startswith("relu_k")), key=lambda key: -int(key[6:]))

    def key(index: int) -> tuple:
        row = rows[index]
        smallest = tuple(math.inf if row[column] is None else row[column] for column in k_columns)
        return (*smallest, -sum(row[column] for column in relu), index)

    return sorted(range(len(rows)), key=key)


def _spaced_names(named: list[tuple[int, str]], count: int) -> list[tuple[int, str]]:
    """The named classes whose labels fit: each at least 1.5% of the axis from the one before, the
    familiar names of `NAMED`'s order winning where two crowd each other."""
    rank = {name: index for index, (name, _, _) in enumerate(NAMED)}
    kept: list[tuple[int, str]] = []
    for position, name in sorted(named, key=lambda item: rank.get(item[1], len(rank))):
        if all(abs(position - other) >= max(1.0, 0.015 * count) for other, _ in kept):
            kept.append((position, name))
    return sorted(kept)


def atlas_figure(name: str, rows: Sequence[dict]):
    """Two heat maps over the classes, easiest to hardest for a ReLU layer (`difficulty_order`): seeds
    verified per hidden size, and seeds exact per logic width; then the fewest gates found per class."""
    from matplotlib.colors import BoundaryNorm
    from matplotlib.figure import Figure

    order = difficulty_order(rows)
    relu = [key for key in rows[0] if key.startswith("relu_h")]
    logic = [key for key in rows[0] if key.startswith("logic_w")]
    seeds = max(int(key[6:]) for key in rows[0] if key.startswith("relu_k"))
    relu_grid = np.array([[rows[i][key] for i in order] for key in relu], float)
    logic_grid = np.array([[rows[i][key] for i in order] for key in logic], float)
    gates = np.array([[np.nan if rows[i]["logic_gates"] is None else rows[i]["logic_gates"] for i in order]])
    count = len(rows)
    figure = Figure(figsize=(max(8.0, min(16.0, 4 + count * 0.05)), 7.2), layout="constrained")
    axes = figure.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [len(relu), len(logic), 3]})
    norm = BoundaryNorm(np.arange(-0.5, seeds + 1.5), 256)
    image = None
    for ax, grid, labels, title in (
        (axes[0], relu_grid, [key[6:] for key in relu], "ReLU hidden units (0: none)"),
        (axes[1], logic_grid, [key[7:] for key in logic], "logic width"),
    ):
        image = ax.imshow(grid, aspect="auto", cmap="viridis", norm=norm, interpolation="nearest")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylabel(title)
    fewest = gates[0]
    found = np.isfinite(fewest)
    axes[2].bar(np.flatnonzero(found), fewest[found], width=1.0, color="tab:orange")
    axes[2].plot(np.flatnonzero(~found), np.zeros((~found).sum()), "x", color="grey", markersize=3)
    axes[2].set_ylabel("fewest gates")
    axes[2].set_ylim(0, max(1.0, float(np.nanmax(fewest)) if found.any() else 1.0) + 0.5)
    if count <= 40:  # few enough classes to write each cell's number in it
        for ax, grid in ((axes[0], relu_grid), (axes[1], logic_grid)):
            for (y, x), value in np.ndenumerate(grid):
                ax.text(x, y, f"{value:g}", ha="center", va="center", color="grey", fontsize=8)
    named = _spaced_names(
        [(position, rows[i]["name"]) for position, i in enumerate(order) if rows[i]["name"]], count
    )
    axes[2].set_xticks([p for p, _ in named], [label for _, label in named], rotation=90, fontsize=8)
    axes[2].set_xlim(-0.5, count - 0.5)
    axes[2].set_xlabel(
        f"{count} NPN classes, easiest to hardest for a ReLU layer (x: no exact logic circuit found)"
    )
    bar = figure.colorbar(image, ax=list(axes), ticks=range(seeds + 1), fraction=0.025)
    bar.set_label(f"seeds of {seeds} that verify")
    figure.suptitle(f"{name}: the smallest network that learns each NPN class")
    return figure
