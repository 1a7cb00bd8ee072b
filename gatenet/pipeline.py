"""From gates to verified model files: train, export, check with onnxruntime, commit.

Gates that share a shape and network train together in chunks: first one seed of each side by side,
then the other seeds ("restarts") of the gates that seed failed, then, for a gate no seed verified,
the rungs of its escalation ladder in turn (`gatenet.network.ladder`). A model file, its test data, history
and manifest entry are committed to the model folder together, and only once the new model has passed
the Keras check and the onnxruntime check, so a failed or interrupted run keeps what was exported
before.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from gatenet import contract, exporter, onnx_batch, trainer
from gatenet.check import DEFAULT_MARGIN, Check, check_margin, check_table
from gatenet.errors import first_line
from gatenet.family import chunks
from gatenet.gate import Gate
from gatenet.history import COMPACT_POINTS, MAX_POINTS, History
from gatenet.network import (
    DEFAULT_CHUNK,
    DEFAULT_ESCALATE,
    DEFAULT_RESTARTS,
    NetworkError,
    NetworkSpec,
    hidden_text,
    ladder,
)
from gatenet.ray_jobs import RunJobs
from gatenet.recipe import Recipe, network_for
from gatenet.record import Kind, ModelRecord, Training, trained_with
from gatenet.store import FolderError, GateFiles, ModelFolder, Writer
from gatenet.test_data import test_data_set


@dataclass
class GateResult:
    """How one gate's training went; `path` is set only when a verified model was written."""

    gate: Gate
    network: NetworkSpec
    verified: bool
    worst_margin: float
    first_right_step: int | None
    seconds: float
    seed: int
    path: Path | None = None
    problem: str = ""
    history: History | None = None
    error: BaseException | None = None  # what `problem` summarises, for `gatenet --debug`
    rung: int = 0  # of the escalation ladder: 0 when the network asked for verified
    kind = Kind.NETWORK

    @property
    def steps(self) -> int:
        return self.network.steps


def train_gates(
    gates: Iterable[Gate],
    *args: object,
    on_result: Callable[[GateResult], None] | None = None,
    **kwargs: object,
) -> list[GateResult]:
    """Train, (export) and verify each gate; a gate that fails leaves its earlier model untouched.

    `stream_gates`, with the same arguments, gathered into a list in the order of `gates`;
    `on_result` sees each result as it is committed.
    """
    gates = list(gates)
    results = {}
    for result in stream_gates(gates, *args, **kwargs):
        results[result.gate.key] = result
        if on_result is not None:
            on_result(result)
    return [results[gate.key] for gate in gates]


def stream_gates(
    gates: Iterable[Gate],
    out_dir: Path | str = "exported",
    settings: Mapping[str, object] | None = None,
    seed: int = 0,
    margin: float = DEFAULT_MARGIN,
    restarts: int = DEFAULT_RESTARTS,
    export: bool = True,
    gate_settings: Mapping[str, Mapping[str, object]] | None = None,
    writer: Writer | None = None,
    chunk: int = DEFAULT_CHUNK,
    run_jobs: RunJobs | None = None,
    escalate: int = DEFAULT_ESCALATE,
    compact_history: bool = False,
) -> Iterator[GateResult]:
    """Train `gates` `chunk` at a time and yield each result once its model is committed.

    Seeds `seed` .. `seed + restarts - 1` are tried in order and the first one whose network verifies
    (in Keras and, when exporting, in onnxruntime) is kept: every gate trains its first seed, and only
    the gates it fails train the others, side by side; a gate none of them verifies climbs up to
    `escalate` rungs of its ladder (`gatenet.network.ladder`). With `export=False` nothing is written
    and only the Keras check is made. `gate_settings` (by lower-case gate name) apply before `settings`, which
    apply to every gate. The folder is locked, checked and repaired before any training (pass the
    `writer` of a folder already held to write there instead of `out_dir`), and each chunk is committed
    as one transaction, so an interrupted run keeps every chunk it finished. `run_jobs` runs the
    chunks (`gatenet.ray_jobs` runs them on a Ray cluster); by default they run here, one by one.
    `compact_history` writes each history with `COMPACT_POINTS` points of its curve and no snapshots.
    """
    check_margin(margin)
    if restarts < 1:
        raise ValueError(f"restarts: must be at least 1, got {restarts}")
    if chunk < 1:
        raise ValueError(f"chunk: must be at least 1, got {chunk}")
    ladder(NetworkSpec(), seed, restarts, escalate)  # a bad ceiling fails before any training
    if writer is not None or not export:
        writing = contextlib.nullcontext(writer)
    else:
        writing = ModelFolder(out_dir).writing("gatenet.train")
    checked: dict[NetworkSpec, NetworkError | None] = {}

    def job(part: list[Gate]) -> Job:
        networks, problems = _networks(part, settings, gate_settings, checked)
        return Job(part, networks, seed, restarts, margin, export, escalate, compact_history, problems)

    parts = chunks(gates, chunk)
    first = [job(part) for part in itertools.islice(parts, 1)]  # a bad setting fails before any writing
    with writing as writer:
        for outcomes in (run_jobs or map)(run_job, itertools.chain(first, map(job, parts))):
            batch = [(result, files) for result, files in outcomes if files is not None]
            if batch:
                writer.commit([files for _, files in batch])
                for result, _ in batch:
                    result.path = writer.folder.model_path(result.gate.key)
            yield from (result for result, _ in outcomes)


def _networks(
    part: list[Gate],
    settings: Mapping[str, object] | None,
    gate_settings: Mapping[str, Mapping[str, object]] | None,
    checked: dict[NetworkSpec, NetworkError | None],
) -> tuple[list[NetworkSpec], dict[str, str]]:
    """Each gate's network, and a problem for each gate whose network cannot be made, so one gate's
    bad hints cost only that gate; a bad setting of the run itself raises, as every gate would fail.
    `checked` keeps Keras's verdict on each network, asked once per run."""
    networks, problems = [], {}
    for gate in part:
        network = None
        try:
            network = network_for(gate, (gate_settings or {}).get(gate.key), settings)
            if network not in checked:
                checked[network] = _keras_problem(network)
            if checked[network] is not None:
                raise checked[network]
        except NetworkError as error:
            if error.setting in (settings or {}):  # the run's own setting: every gate would fail
                raise
            problems[gate.key] = f"network: {error}"
        # a network no layering could make is shown as the gate's own hints
        networks.append(network or NetworkSpec().with_changes(**gate.network))
    return networks, problems


def export_trained(
    trained: trainer.Trained,
    out_dir: Path | str = "exported",
    margin: float = DEFAULT_MARGIN,
    writer: Writer | None = None,
) -> GateResult:
    """Export, verify and commit one network trained elsewhere (a page's live training), exactly as
    `gatenet train GATE --seed SEED --restarts 1` would: written only if it verifies in Keras and in
    onnxruntime, so a failed network leaves the model exported before as it was."""
    build = Recipe(trained.gate, trained.network, trained.seed, 1, margin, escalate=0).build()
    result, trial = _finish(trained.gate, [(0, trained)], margin)
    if trial is not None:
        ((result, files),) = _export([(result, trial)], margin, build)
    if result.verified:
        writing = contextlib.nullcontext(writer) if writer else ModelFolder(out_dir).writing("gatenet.export")
        with writing as held:
            held.commit([files])
            result.path = held.folder.model_path(trained.gate.key)
    return result


@dataclass
class Job:
    """One chunk of gates and how to make their models: all a process needs to train, check and
    export them without the model folder, so a chunk can run in another process or on another machine."""

    gates: list[Gate]
    networks: list[NetworkSpec]
    seed: int
    restarts: int
    margin: float
    export: bool
    escalate: int = DEFAULT_ESCALATE
    compact_history: bool = False  # histories of COMPACT_POINTS points and no weight snapshots
    problems: dict[str, str] = field(default_factory=dict)  # gates (by key) that cannot train, and why


def _keras_problem(network: NetworkSpec) -> NetworkError | None:
    try:
        trainer.check_network(network)
    except NetworkError as error:
        return error
    return None


def run_job(job: Job) -> list[tuple[GateResult, GateFiles | None]]:
    """Each gate's result and, for a verified exported model, the files to commit; in `job.gates` order."""
    done: dict[str, tuple[GateResult, GateFiles | None]] = {}
    groups: dict[tuple, list[Gate]] = {}
    for gate, network in zip(job.gates, job.networks, strict=True):
        problem = job.problems.get(gate.key, "")
        try:
            if job.export and not problem:
                ModelFolder.check_key(gate.key)
        except FolderError as error:  # this gate cannot be written; the others go on
            problem = str(error)
        if problem:
            done[gate.key] = (
                GateResult(gate, network, False, float("nan"), None, 0.0, job.seed, problem=problem),
                None,
            )
            continue
        groups.setdefault((gate.inputs, gate.outputs, network), []).append(gate)
    for (_, _, network), group in groups.items():
        _train_group(group, network, job, done)
    return [done[gate.key] for gate in job.gates]


def _train_group(
    group: list[Gate], network: NetworkSpec, job: Job, done: dict[str, tuple[GateResult, GateFiles | None]]
) -> None:
    """Every gate's first seed, then its other seeds if the first did not make a verified model, then
    the rungs of the ladder above, each rung's seeds side by side, for the gates still failing. The
    models a round verified in Keras are exported and checked by onnxruntime together."""
    earlier: dict[str, list[tuple[int, trainer.Trained]]] = {}
    pending = group
    recipe = Recipe(group[0], network, job.seed, job.restarts, job.margin, job.escalate)
    build = recipe.build()  # the same for every gate
    rounds = [
        (rung, step.network, seeds)
        for rung, step in enumerate(recipe.ladder())
        for seeds in ([step.seeds[:1], step.seeds[1:]] if rung == 0 else [step.seeds])
    ]
    points = COMPACT_POINTS if job.compact_history else MAX_POINTS
    snapshots = job.export and not job.compact_history  # a compact history has nothing to replay
    for rung, rung_network, seeds in rounds:
        if not pending:
            break
        if not seeds:
            continue
        started, error = time.perf_counter(), None
        try:
            trials = trainer.train_together(pending, rung_network, seeds, snapshots, points)
        except Exception as failure:  # one line naming the failure, not a traceback from inside Keras
            error, trials = failure, [[] for _ in pending]
        share = (time.perf_counter() - started) / len(pending)
        retry, verified = [], []
        for gate, gate_trials in zip(pending, trials, strict=True):
            if gate_trials:
                gate_trials = [*earlier.pop(gate.key, []), *((rung, trial) for trial in gate_trials)]
                result, trial = _finish(gate, gate_trials, job.margin)
            else:
                problem = f"training failed: {type(error).__name__}: {first_line(error)}"
                result = GateResult(gate, network, False, float("nan"), None, 0.0, job.seed, problem=problem)
                result.error, trial = error, None
            result.seconds += share
            done[gate.key] = result, None
            if trial is not None and job.export:
                verified.append((result, trial))
            elif not result.verified and result.error is None and gate_trials:
                earlier[gate.key] = gate_trials
                retry.append(gate)
        for result, files in _export(verified, job.margin, build):
            done[result.gate.key] = result, files
        pending = retry


def _finish(
    gate: Gate, trials: list[tuple[int, trainer.Trained]], margin: float
) -> tuple[GateResult, trainer.Trained | None]:
    """The first trial, in the order tried (rung, then seed), that verifies in Keras, with its result;
    else a failed result naming the best trial. Each trial comes with the rung of the ladder that
    trained it."""
    checked = [(check_table(gate.table, trial.probabilities, margin), rung, trial) for rung, trial in trials]
    for check, rung, trial in checked:
        if check.verified:
            first_right = trial.history.first_right_step
            result = GateResult(
                gate,
                trial.network,
                True,
                check.worst_margin,
                first_right,
                0.0,
                trial.seed,
                history=trial.history,
                rung=rung,
            )
            return result, trial
    best_check, best_rung, best = max(checked, key=lambda found: found[0].worst_margin)
    problem = f"{_tried(trials)}; the best, {_trial_name(best_rung, best)}: {best_check.details}"
    rung = trials[-1][0]  # how far up the ladder it went
    failed = GateResult(
        gate, best.network, False, best_check.worst_margin, None, 0.0, best.seed, problem=problem, rung=rung
    )
    return failed, None


def _export(
    verified: list[tuple[GateResult, trainer.Trained]], margin: float, build: dict
) -> list[tuple[GateResult, GateFiles | None]]:
    """Each model as ONNX bytes, checked by onnxruntime on its whole table, all of them (one round of
    one shape) in one run (`gatenet.onnx_batch`); the files to commit for each that verifies. A model
    onnxruntime rejects, or that cannot be exported, fails its gate with the reason."""
    made, done = [], []
    for result, trial in verified:
        started, record = time.perf_counter(), {**build, "rung": result.rung}
        gate = result.gate
        metadata = contract.model_metadata(gate, margin, trial.seed, trial.network.to_dict(), record)
        try:
            model = exporter.to_onnx(trial, metadata)
        except Exception as failure:  # this gate's export failed; the others go on
            problem = f"seed {trial.seed}: export failed: {type(failure).__name__}: {failure}"
            done.append((_failed(result, problem, failure), None))
            continue
        result.seconds += time.perf_counter() - started
        made.append(
            (result, record, onnx_batch.Unchecked(f"{gate.name} (exported, in memory)", model, gate.table))
        )
    if not made:
        return done
    started = time.perf_counter()
    rows = made[0][0].gate.rows  # trained together, so of one shape
    checks, _ = onnx_batch.check_models([unchecked for _, _, unchecked in made], rows, margin)
    share = (time.perf_counter() - started) / len(made)
    for (result, record, unchecked), check in zip(made, checks, strict=True):
        result.seconds += share
        if not check.verified:
            done.append((_failed(result, f"seed {result.seed}: onnxruntime: {check.details}"), None))
            continue
        result.worst_margin = check.worst_margin
        done.append((result, _gate_files(result, unchecked.model, check, margin, record)))
    return done


def _failed(result: GateResult, problem: str, error: BaseException | None = None) -> GateResult:
    """A result that verified in Keras but could not be exported or was rejected by onnxruntime."""
    return replace(result, verified=False, history=None, problem=problem, error=error)


def _tried(trials: list[tuple[int, trainer.Trained]]) -> str:
    """What was tried, for a gate no trial verified: its seeds, or the rungs of the ladder it climbed."""
    seeds = [trial.seed for _, trial in trials]
    tried = f"{seeds[0]}..{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    rungs = trials[-1][0] + 1
    return f"no seed of {tried} verified" + (f" on {rungs} rungs of the ladder" if rungs > 1 else "")


def _trial_name(rung: int, trial: trainer.Trained) -> str:
    if rung == 0:
        return f"seed {trial.seed}"
    network = trial.network
    return f"seed {trial.seed} of rung {rung} (hidden {hidden_text(network.hidden)}, {network.steps} steps)"


def _gate_files(result: GateResult, model: bytes, check: Check, margin: float, build: dict) -> GateFiles:
    """Everything to commit for a verified model. The test data's outputs are the ones onnxruntime
    gave when it checked the model, so nothing runs twice."""
    gate = result.gate
    history = {"gate": gate.name, "seed": result.seed, "worst_margin": round(check.worst_margin, 6)}
    history.update(result.history.to_dict())
    return GateFiles(
        gate.key,
        model,
        test_data_set(gate.rows, check.probabilities),
        (json.dumps(history) + "\n").encode(),
        _manifest_entry(result, margin, build),
    )


def _manifest_entry(result: GateResult, margin: float, build: dict) -> ModelRecord:
    gate = result.gate
    return ModelRecord(
        kind=Kind.NETWORK,
        gate=gate.name,
        inputs=gate.input_names,
        outputs=gate.output_names,
        truth_table=tuple(contract.encode_table(gate.table)),
        margin=margin,
        worst_margin=round(result.worst_margin, 6),
        opset=contract.OPSET,
        training=Training(
            seed=result.seed,
            steps=result.steps,
            first_right_step=result.first_right_step,
            network=result.network.to_dict(),
            build=build,
            trained_with=trained_with("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime"),
        ),
    )
