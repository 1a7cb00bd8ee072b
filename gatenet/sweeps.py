"""Sweeps: how hidden units, layers, activation, loss, optimizer, learning rate and steps change how
often, and how fast, a network learns a gate. The tutorial's "play with the parameters", measured.

Each setting trains `seeds` networks side by side in one program; a setting is one point of the grid.
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import json
import statistics
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatenet.check import DEFAULT_MARGIN, check_table
from gatenet.durable import write_atomically
from gatenet.family import chunks
from gatenet.gate import Gate
from gatenet.network import DEFAULT_CHUNK, NetworkError, NetworkSpec, hidden_text
from gatenet.ray_jobs import RunJobs
from gatenet.recipe import network_for
from gatenet.trainer import check_network, train_together

AXES = ("hidden", "hidden_units", "layers", "activation", "loss", "optimizer", "learning_rate", "steps")


def grid(axes: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of the given axis values, in the order given."""
    unknown = sorted(set(axes) - set(AXES))
    if unknown:
        raise NetworkError(f"sweep: unknown axis {', '.join(unknown)}; axes are: {', '.join(AXES)}")
    names = [name for name in AXES if axes.get(name)]
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(axes[n] for n in names))]


def network_changes(setting: Mapping, base_hidden: tuple[int, ...]) -> dict:
    """A grid point as NetworkSpec settings: `hidden` directly (`()` is no hidden layer: logistic
    regression), or hidden_units and layers together."""
    if "hidden" in setting and ("hidden_units" in setting or "layers" in setting):
        raise NetworkError("sweep: give hidden, or hidden_units and layers, not both")
    changes = {key: value for key, value in setting.items() if key not in ("hidden_units", "layers")}
    if "hidden" in changes:
        changes["hidden"] = tuple(changes["hidden"])
    if "hidden_units" in setting or "layers" in setting:
        units = setting.get("hidden_units", base_hidden[0] if base_hidden else 16)
        changes["hidden"] = (units,) * setting.get("layers", max(len(base_hidden), 1))
    return changes


def _setting_network(gate: Gate, point: Mapping) -> NetworkSpec:
    """The network a grid point gives `gate`: the point's changes over the gate's own recipe, so a
    layers-only point keeps the gate's hidden units."""
    return network_for(gate, network_changes(point, network_for(gate).hidden))


def sweep(
    gate: Gate,
    axes: Mapping[str, Sequence],
    seeds: int = 20,
    margin: float = DEFAULT_MARGIN,
    on_setting: Callable[[dict], None] | None = None,
    run_jobs: RunJobs | None = None,
) -> list[dict]:
    """One row per grid point: success rate, median steps to 100% and median final margin over `seeds`.

    Each setting is one job; `run_jobs` runs them elsewhere (`gatenet.ray_jobs`), by default here.
    """
    if seeds < 1:
        raise ValueError(f"seeds: must be at least 1, got {seeds}")
    points = grid(axes)
    networks = [_setting_network(gate, point) for point in points]
    for network in set(networks):
        check_network(network)
    jobs = (StudyJob([gate], network, seeds, margin) for network in networks)
    rows = []
    for point, network, (trials,) in zip(
        points, networks, (run_jobs or map)(run_study_job, jobs), strict=True
    ):
        margins = [value for value, _ in trials]
        steps = [step for _, step in trials if step is not None]
        row = {
            **point,
            "seeds": seeds,
            "verified": sum(value >= margin for value in margins),
            "success_rate": sum(value >= margin for value in margins) / seeds,
            "median_steps": statistics.median(steps) if steps else None,
            "median_margin": round(statistics.median(margins), 6),
            "network": network.to_dict(),
        }
        rows.append(row)
        if on_setting is not None:
            on_setting(row)
    return rows


@dataclass
class StudyJob:
    """Some gates of one shape, trained from seeds 0 .. `seeds` - 1 with one network: a unit of work
    that can run in another process, or on another machine."""

    gates: list[Gate]
    network: NetworkSpec
    seeds: int
    margin: float


def run_study_job(job: StudyJob) -> list[list[tuple[float, int | None]]]:
    """Per gate, per seed: the worst margin, and the step from which every row was right (or None)."""
    trained = train_together(job.gates, job.network, range(job.seeds))
    return [
        [
            (
                check_table(gate.table, trial.probabilities, job.margin).worst_margin,
                trial.history.first_right_step,
            )
            for trial in trials
        ]
        for gate, trials in zip(job.gates, trained, strict=True)
    ]


def write_sweep(gate: Gate, rows: list[dict], out_dir: Path | str) -> dict[str, Path]:
    """`sweep_<gate>.csv`, `.json` and `.png` in `out_dir`; returns them by kind."""
    from gatenet.plots import sweep_chart

    title = f"{gate.name}: {len(rows)} settings x {rows[0]['seeds']} seeds"
    columns = ["seeds", "verified", "success_rate", "median_steps", "median_margin"]
    return _write_study(
        Path(out_dir) / f"sweep_{gate.key}", rows, columns, {"gate": gate.name}, sweep_chart, title
    )


def capacity(
    gates: Sequence[Gate],
    axes: Mapping[str, Sequence],
    seeds: int = 4,
    margin: float = DEFAULT_MARGIN,
    on_setting: Callable[[dict], None] | None = None,
    run_jobs: RunJobs | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> list[dict]:
    """Which of `gates` (a family, say) each setting can learn: one row per grid point.

    A gate is learned when at least one of its `seeds` networks verifies. Gates of one shape and one
    network train side by side, `chunk` networks (gates x seeds) per program, so a family of 256
    costs about what one gate does and a family of 65,536 never holds more than a chunk. Each chunk is
    a job; `run_jobs` runs them elsewhere (`gatenet.ray_jobs`), by default here, one by one.
    """
    if seeds < 1:
        raise ValueError(f"seeds: must be at least 1, got {seeds}")
    if not gates:
        raise ValueError("capacity: no gates to sweep")
    planned: collections.deque[tuple[StudyJob, bool]] = collections.deque()

    def jobs() -> Iterator[StudyJob]:
        """Every setting's jobs in turn, made as they are needed; each is noted, and whether it is the
        last of its setting, so its results are matched to it in order."""
        for point in points:
            point_jobs = _capacity_jobs(gates, point, seeds, margin, chunk)
            for index, job in enumerate(point_jobs):
                planned.append((job, index == len(point_jobs) - 1))
                yield job

    points = grid(axes)
    for point in points:  # a setting Keras does not know fails now, not after hours of the others
        check_network(_setting_network(gates[0], point))
    results = iter((run_jobs or map)(run_study_job, jobs()))
    rows = []
    for point in points:
        row = _capacity_row(point, len(gates), seeds, margin, results, planned)
        rows.append(row)
        if on_setting is not None:
            on_setting(row)
    return rows


def _capacity_row(
    point: dict,
    gate_count: int,
    seeds: int,
    margin: float,
    results: Iterator[list[list[tuple[float, int | None]]]],
    planned: collections.deque[tuple[StudyJob, bool]],
) -> dict:
    """One setting's row, from its jobs' results taken one at a time as they come (a family's never
    held at once); `planned` says whose each result is, and which ends the setting."""
    verified: dict[str, int] = {}
    steps: list[int] = []
    last, first = False, None
    while not last:
        trials_per_gate = next(results)  # first: with lazy jobs, taking it is what plans the job
        job, last = planned.popleft()
        first = first or job
        for gate, trials in zip(job.gates, trials_per_gate, strict=True):
            good = [(value >= margin, step) for value, step in trials]
            verified[gate.name] = sum(ok for ok, _ in good)
            steps += [step for ok, step in good if ok]
    not_learned = [name for name, count in verified.items() if not count]
    return {
        **point,
        "gates": gate_count,
        "seeds": seeds,
        "learned": gate_count - len(not_learned),
        "learned_share": round((gate_count - len(not_learned)) / gate_count, 6),
        "pairs_verified_share": round(sum(verified.values()) / (gate_count * seeds), 6),
        "median_steps": statistics.median(steps) if steps else None,
        "not_learned": not_learned,
        "verified_seeds": verified,  # per gate: how many of its seeds verified
        "network": first.network.to_dict(),  # the first gate's, as the setting reads for it
    }


def _capacity_jobs(
    gates: Sequence[Gate], point: dict, seeds: int, margin: float, chunk: int
) -> list[StudyJob]:
    """One setting's work: its gates grouped by shape and network, in jobs of about `chunk` networks."""
    groups: dict[tuple, list[Gate]] = {}
    for gate in gates:
        network = _setting_network(gate, point)
        groups.setdefault((gate.inputs, gate.outputs, network), []).append(gate)
    for network in {key[2] for key in groups}:
        check_network(network)
    per_job = max(1, chunk // seeds)
    return [
        StudyJob(part, network, seeds, margin)
        for (_, _, network), group in groups.items()
        for part in chunks(group, per_job)
    ]


def write_capacity(name: str, rows: list[dict], out_dir: Path | str) -> dict[str, Path]:
    """`capacity_<name>.csv`, `.json` and `.png` in `out_dir`; returns them by kind."""
    from gatenet.plots import capacity_chart

    title = f"{name}: {rows[0]['gates']} functions, {rows[0]['seeds']} seeds per setting"
    columns = ["gates", "seeds", "learned", "learned_share", "pairs_verified_share", "median_steps"]
    stem = Path(out_dir) / f"capacity_{name.lower()}"
    return _write_study(stem, rows, columns, {"gates": name}, capacity_chart, title)


def _write_study(
    stem: Path, rows: list[dict], columns: list[str], about: dict, chart: Callable, title: str
) -> dict[str, Path]:
    """A study's rows as CSV (the settings, then `columns`), JSON (`about`, the axes and every row)
    and a chart, each written whole or not at all; returns the paths by kind."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    settings = [axis for axis in AXES if rows and axis in rows[0]]
    table = io.StringIO()
    writer = csv.DictWriter(table, [*settings, *columns], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, **{key: _cell(row[key]) for key in settings}} for row in rows)
    paths = {kind: stem.with_suffix(f".{kind}") for kind in ("csv", "json", "png")}
    write_atomically(paths["csv"], table.getvalue().encode())
    document = {**about, "axes": settings, "rows": rows}
    write_atomically(paths["json"], (json.dumps(document, indent=1) + "\n").encode())
    chart(rows, settings, paths["png"], title)
    return paths


def _cell(value: object) -> object:
    """A CSV cell: a hidden-layer list as `none` or `8+8`, so it reads back unambiguously."""
    return hidden_text(value) if isinstance(value, list | tuple) else value
