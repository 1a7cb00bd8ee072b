"""Training and sweeps as Ray tasks on a local cluster, started once for this file: the same models and
numbers as in-process, and a worker killed mid-run costs nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray
from folder_tools import GATENET, gatenet

import gatenet as api
from gatenet import pipeline, ray_jobs, store
from gatenet.plugins import collect_gates

# Small enough that some gates fail their first seed, so the retry rounds run on the cluster too.
TINY = {"hidden": (2,), "steps": 150, "learning_rate": 0.05}


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", object_store_memory=200 * 2**20)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this file
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def family_slice() -> list:
    return [collect_gates().find(f"BOOLEAN4_{number:05d}") for number in range(0, 65536, 2521)]


def test_training_on_ray_gives_the_same_models_as_in_process(cluster, tmp_path):
    gates = family_slice()
    here = pipeline.train_gates(gates, tmp_path / "here", TINY, chunk=6)
    there = pipeline.train_gates(gates, tmp_path / "ray", TINY, chunk=6, run_jobs=ray_jobs.runner(cluster))
    assert any(result.seed > 0 for result in here), "the premise: some gates needed a later seed"
    for one, other in zip(here, there, strict=True):
        assert (one.gate.name, one.verified, one.seed) == (other.gate.name, other.verified, other.seed)
        if one.verified:
            name = f"{one.gate.key}.onnx"
            assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()
    assert (tmp_path / "here" / "manifest.json").read_text() == (
        tmp_path / "ray" / "manifest.json"
    ).read_text()


def test_the_command_line_trains_on_the_cluster_at_an_address(cluster, tmp_path):
    run = gatenet("train", "--family", "boolean2", "--ray", cluster, "--out", str(tmp_path / "ray"), "--json")
    assert run.returncode == 0, run.stderr
    assert [row["status"] for row in json.loads(run.stdout)["results"]] == ["trained"] * 16
    here = pipeline.train_gates(list(collect_gates().families()["boolean2"]), tmp_path / "here")
    for result in here:
        name = f"{result.gate.key}.onnx"
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name


def kill_worker_once(job: pipeline.Job, marker: str) -> list:
    """`run_job`, except that the first time it meets the job holding BOOLEAN4_15126 its worker dies."""
    if job.gates[0].name == "BOOLEAN4_15126" and not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return pipeline.run_job(job)


def test_a_worker_killed_mid_run_is_retried_and_nothing_is_lost_or_written_twice(
    cluster, tmp_path, monkeypatch
):
    marker = str(tmp_path / "killed-once")
    commits = []
    original = store.Writer.commit
    monkeypatch.setattr(
        store.Writer,
        "commit",
        lambda self, gates, *rest: commits.append(gates) or original(self, gates, *rest),
    )
    run_jobs = ray_jobs.runner(cluster)

    def killing(function, jobs):
        return run_jobs(lambda job: kill_worker_once(job, marker), jobs)

    gates = family_slice()
    results = pipeline.train_gates(gates, tmp_path / "out", TINY, chunk=6, run_jobs=killing)
    assert os.path.exists(marker), "the premise: a worker was killed"
    assert [result.gate.name for result in results] == [gate.name for gate in gates]
    committed = [files.key for batch in commits for files in batch]
    verified = [result.gate.key for result in results if result.verified]
    assert sorted(committed) == sorted(verified) and len(set(committed)) == len(committed)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())["models"]
    assert sorted(manifest) == sorted(f"{key}.onnx" for key in verified)
    again = pipeline.train_gates(gates, tmp_path / "again", TINY, chunk=6)
    assert [(r.verified, r.seed) for r in again] == [(r.verified, r.seed) for r in results]


def test_a_capacity_sweep_on_ray_gives_the_same_numbers(cluster):
    axes = {"hidden": [(), (2,)], "learning_rate": [0.1], "steps": [300]}
    here = api.capacity(family="boolean3", seeds=2, **axes)
    there = api.capacity(family="boolean3", seeds=2, ray=cluster, **axes)
    assert there == here and here[0]["learned"] < here[1]["learned"]


def test_without_ray_nothing_imports_it():
    code = (
        "import sys, gatenet.cli, gatenet.api, gatenet.pipeline, gatenet.sweeps; "
        "assert 'ray' not in sys.modules, 'ray was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_bare_ray_flag_starts_a_cluster_of_its_own_and_an_address_must_look_like_one(tmp_path):
    # RAY_ADDRESS points nowhere: joining "whatever cluster is around" would hang there, not train.
    run = gatenet("train", "XOR", "--no-export", "--json", "--ray", env={"RAY_ADDRESS": "127.0.0.1:1"})
    assert run.returncode == 0, run.stderr
    assert [row["verified"] for row in json.loads(run.stdout)["results"]] == [True]
    swallowed = gatenet("train", "--ray", "XOR", "--check")
    assert swallowed.returncode == 2 and "expected local, auto, HOST:PORT" in swallowed.stderr


def test_a_cluster_that_does_not_answer_fails_in_seconds_naming_it_and_holds_no_lock(tmp_path):
    folder = tmp_path / "out"
    started = time.monotonic()
    # Nothing listens on port 1: Ray itself would retry for minutes, holding the folder's lock.
    run = subprocess.run(
        [str(GATENET), "train", "AND", "--force", "--ray", "127.0.0.1:1", "--out", str(folder)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert time.monotonic() - started < 30
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith(
        "Error: --ray 127.0.0.1:1: no Ray cluster answers there (Connection refused)"
    )
    assert len(run.stderr.splitlines()) == 1, run.stderr  # none of Ray's C++ retry warnings
    assert not folder.exists()  # refused before the folder was locked, or made

    def waited(message: str) -> None:
        raise AssertionError(message)

    with store.ModelFolder(folder).writing("test", waited):
        pass


def test_the_runner_refuses_an_address_nothing_answers_at_before_importing_ray():
    code = (
        "import sys; from gatenet import ray_jobs\n"
        "try:\n    ray_jobs.runner('ray://127.0.0.1:1')\n"
        "except ray_jobs.RayError as error:\n    print(error)\n"
        "assert 'ray' not in sys.modules, 'ray was imported'"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("--ray ray://127.0.0.1:1: no Ray cluster answers there (Connection refused)")


def test_logic_models_learned_on_the_cluster_are_the_same_bytes_as_in_process(cluster, tmp_path):
    names = ("XOR", "MAJORITY3", "FULL_ADDER")
    for where, ray_args in (("here", ()), ("ray", ("--ray", cluster))):
        run = gatenet("train", *names, "--kind", "logic", *ray_args, "--out", str(tmp_path / where))
        assert run.returncode == 0, run.stderr
    for name in ("manifest.json", "xor.onnx", "majority3.onnx", "full_adder.onnx"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
