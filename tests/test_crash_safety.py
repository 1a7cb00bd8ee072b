"""`gatenet train` killed at any moment, or run twice at once, leaves a folder that verifies.

The folder starts with verified models (the committed ones). Each run trains three of its gates again
(from another seed, or as logic models) and is stopped: at a given file operation of the model folder
(a test-only hook in `gatenet.durable`), or after a given time, which lands in start-up, training or
export. Then `gatenet verify` must pass, every gate must be wholly its old or wholly its new version,
and no temporary file may be left. Two runs go at a time: the machine has two cores.
"""

import os
import random
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from folder_tools import GATENET, copy_models, gate_files, gatenet, judge, run_cli

KEYS = ["xor", "and", "or"]
TRAIN = {
    "network": ["train", *KEYS, "--seed", "3", "--restarts", "1", "--steps", "300", "-q"],
    # network models replaced by logic models: another kind of model file, record and history
    "logic": ["train", *KEYS, "--kind", "logic", "--logic-restarts", "2", "--logic-steps", "100", "-q"],
}
POINTS_PER_SIGNAL = 20


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """For a kind of run: the folder before (`old`) and after (`new`) one whole run, and that run's file
    operations; made once per kind."""
    made = {}

    def reference(kind):
        if kind not in made:
            made[kind] = _reference(kind, tmp_path_factory)
        return made[kind]

    return reference


def _reference(kind, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"reference-{kind}")
    old = copy_models(root / "old")
    new = copy_models(root / "new")
    trace = root / "trace.txt"
    started = time.perf_counter()
    result = gatenet(*TRAIN[kind], "--out", str(new), env={"GATENET_FAULT_TRACE": str(trace)})
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    return old, new, trace.read_text().splitlines(), seconds


def interrupted_run(kind, folder, signal_name, step=None, delay=None):
    """One `gatenet train` stopped at a file operation (`step`) or after `delay` seconds."""
    env = {"GATENET_FAULT_AT": f"{step}:{signal_name}"} if step else {}
    process = subprocess.Popen(
        [str(GATENET), *TRAIN[kind], "--out", str(folder)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if delay is not None:
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(getattr(signal, f"SIG{signal_name}"))
    process.wait(timeout=300)
    return process.returncode


@pytest.mark.parametrize(
    ("kind", "signal_name"), [("network", "KILL"), ("network", "INT"), ("logic", "KILL")]
)
def test_train_killed_at_any_point_leaves_a_verified_folder(tmp_path, references, kind, signal_name):
    old, new, steps, seconds = references(kind)
    rng = random.Random(signal_name)
    # File operations spread over the whole export and commit, and moments spread over the run.
    chosen = sorted(rng.sample(range(1, len(steps) + 1), min(12, len(steps))))
    points = [("step", step) for step in chosen]
    points += [("delay", round(rng.uniform(0.2, seconds), 2)) for _ in range(POINTS_PER_SIGNAL - len(points))]
    folders = [copy_models(tmp_path / f"run{index}") for index in range(len(points))]

    def run(index):
        how, value = points[index]
        if how == "step":
            return interrupted_run(kind, folders[index], signal_name, step=value)
        return interrupted_run(kind, folders[index], signal_name, delay=value)

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(run, range(len(points))))
    report = []
    for (how, value), folder, code in zip(points, folders, codes, strict=True):
        problems = judge(folder, old, new, KEYS)
        where = f"{how} {value}" + (f" ({steps[value - 1]})" if how == "step" else "")
        assert not problems, f"{signal_name} at {where}, exit {code}: {problems}"
        report.append("new" if gate_files(folder, "xor") == gate_files(new, "xor") else "old")
    assert len(points) >= POINTS_PER_SIGNAL
    assert "old" in report and "new" in report, report
    if signal_name == "INT":  # Ctrl-C is reported, not a traceback
        assert all(code == 130 for (how, _), code in zip(points, codes, strict=True) if how == "step"), codes


def test_two_trains_into_one_folder_wait_for_each_other_and_both_land(tmp_path):
    folder = copy_models(tmp_path / "shared", ["nand"])
    first = subprocess.Popen(
        [str(GATENET), "train", "XOR", "AND", "--out", str(folder), "--restarts", "1", "-q"],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    second = subprocess.Popen(
        [str(GATENET), "train", "OR", "XOR", "--out", str(folder), "--restarts", "1", "-q"],
        stderr=subprocess.PIPE,
        text=True,
    )
    outputs = [process.communicate(timeout=300)[1] for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert any(f"waiting for {folder}: gatenet train (pid " in output for output in outputs), outputs
    result = run_cli("verify", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.output.splitlines()] == [
        [name, "verified"] for name in ["and.onnx", "nand.onnx", "or.onnx", "xor.onnx"]
    ]


def test_a_train_into_a_folder_with_a_corrupt_manifest_changes_nothing(tmp_path):
    folder = copy_models(tmp_path / "corrupt", KEYS)
    (folder / "manifest.json").write_text("{not json")
    before = {key: gate_files(folder, key) for key in KEYS}
    result = gatenet("train", "XOR", "--out", str(folder), "--seed", "5", "--restarts", "1")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {folder}/manifest.json: not valid JSON"), result.stderr
    assert "Traceback" not in result.stderr and "tensorflow" not in result.stderr.lower()
    assert {key: gate_files(folder, key) for key in KEYS} == before


FAMILY = ["train", "--family", "boolean2", "--chunk", "4", "--restarts", "1", "--no-escalate", "-q"]
FAMILY_KEYS = [f"boolean2_{number:02d}" for number in range(16)]


def test_a_chunked_family_export_killed_at_any_point_resumes_to_a_verified_folder(tmp_path):
    """A family of 16 written in 4 chunks, each one commit of compact histories and batched checks,
    killed at file operations across all four commits and at moments across the run; then resumed."""
    old, new, trace = tmp_path / "old", tmp_path / "new", tmp_path / "trace.txt"
    assert gatenet(*FAMILY, "--seed", "0", "--out", str(old)).returncode == 0
    shutil.copytree(old, new)
    started = time.perf_counter()
    result = gatenet(*FAMILY, "--seed", "3", "--out", str(new), env={"GATENET_FAULT_TRACE": str(trace)})
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    steps = trace.read_text().splitlines()
    assert sum("journal" in step and step.split()[1] == "write" for step in steps) >= 4  # a commit per chunk
    rng = random.Random("family")
    points = [("step", step) for step in sorted(rng.sample(range(1, len(steps) + 1), 10))]
    points += [("delay", round(rng.uniform(0.5, seconds), 2)) for _ in range(4)]
    folders = [shutil.copytree(old, tmp_path / f"run{index}") for index in range(len(points))]

    def run(index):
        how, value = points[index]
        env = {"GATENET_FAULT_AT": f"{value}:KILL"} if how == "step" else {}
        process = subprocess.Popen(
            [str(GATENET), *FAMILY, "--seed", "3", "--out", str(folders[index])],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if how == "delay":
            try:
                process.wait(timeout=value)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait(timeout=300)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, range(len(points))))
    mixed = 0
    for (how, value), folder in zip(points, folders, strict=True):
        problems = judge(folder, old, new, FAMILY_KEYS)
        assert not problems, f"killed at {how} {value}: {problems}"
        done = [gate_files(folder, key) == gate_files(new, key) for key in FAMILY_KEYS]
        mixed += 0 < sum(done) < len(done)
        resumed = gatenet(*FAMILY, "--seed", "3", "--out", str(folder))
        assert resumed.returncode == 0, resumed.stderr
        assert all(gate_files(folder, key) == gate_files(new, key) for key in FAMILY_KEYS), f"{how} {value}"
        assert run_cli("verify", "--dir", str(folder)).exit_code == 0
    assert mixed, "the premise: some runs were killed between chunks, with some gates new and some old"
