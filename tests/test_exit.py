"""How `gatenet` ends: a plugin's exit handlers and logs survive the fast exit, signals unwind cleanly."""

import os
import signal
import subprocess
import time

import pytest
from folder_tools import GATENET, ROOT, copy_models, gatenet, leftovers, run_cli

PLUGIN = """
import atexit, logging, logging.handlers, pathlib
import gatenet

OUT = pathlib.Path({out!r})
atexit.register(lambda: (OUT / "atexit.txt").write_text("ran"))
buffered = logging.handlers.MemoryHandler(100, target=logging.FileHandler(OUT / "log.txt"))
log = logging.getLogger("exit_plugin")
log.addHandler(buffered)
log.setLevel(logging.INFO)

@gatenet.hookimpl
def register_gates(register):
    log.info("registered")  # held in the buffer until logging shuts down
    register(gatenet.Gate("EXIT_GATE", 2, lambda a, b: a & b))
"""


def test_a_plugins_atexit_handlers_and_logs_survive_train(tmp_path):
    (tmp_path / "exit_plugin.py").write_text(PLUGIN.format(out=str(tmp_path)))
    args = ["-p", str(tmp_path / "exit_plugin.py"), "train", "EXIT_GATE", "--steps", "50"]
    result = gatenet(*args, "--restarts", "1", "--no-escalate", "--no-export", "-q")
    assert result.returncode == 1  # 50 steps do not make a verified AND; the exit path is what counts
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "log.txt").read_text() == "registered\n"


def test_sigterm_unwinds_like_ctrl_c(tmp_path):
    folder = copy_models(tmp_path / "term", ["xor"])
    trace = tmp_path / "trace"
    process = subprocess.Popen(
        [str(GATENET), "train", "XOR", "--out", str(folder), "--seed", "9", "--restarts", "1", "-q"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GATENET_FAULT_TRACE": str(trace)},
    )
    while not trace.exists() or "staging" not in trace.read_text():  # in the middle of the commit
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) in (0, 128 + signal.SIGTERM), process.stderr.read()
    assert leftovers(folder) == []  # cleaned up by the process itself, not the next one
    assert run_cli("verify", "--dir", str(folder)).exit_code == 0


def test_another_keras_backend_is_named_not_mistaken_for_a_missing_extra(tmp_path):
    result = gatenet("train", "XOR", "--out", str(tmp_path), env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: KERAS_BACKEND=jax is set; gatenet trains with the TensorFlow backend"
    )
    assert "train' extra" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "options", [["--steps", "50", "--restarts", "1"], ["--check"]], ids=["train", "supervised check"]
)
def test_sigterm_while_a_plugin_imports_stops_the_command(tmp_path, options):
    """A plugin's failure is reported and the command goes on; SIGTERM is not a plugin failure. The
    pre-commit check runs in a supervised child, and stops the same way (not with a traceback)."""
    started = tmp_path / "started"
    plugin = tmp_path / "slow_import.py"
    plugin.write_text(f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(120)\n")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            str(GATENET),
            "-p",
            str(plugin),
            "train",
            "XOR",
            "--out",
            str(out),
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert process.poll() is None and time.monotonic() < deadline, (
                "the plugin never started importing"
            )
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert stderr == "gatenet: terminated: stopped while plugin 'slow_import' was loading\n"
    assert stdout == "" and not out.exists()


@pytest.mark.parametrize("command", [["status"], ["verify"], ["plugins", "--json"], ["list"]])
def test_a_reader_that_stops_early_is_not_an_error(command):
    """`gatenet status | head -1`: once the reader has gone, the rest of the output has nowhere to go,
    which is no failure of the command."""
    process = subprocess.Popen(
        [str(GATENET), *command], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # the reader is gone before anything is written
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 0, stderr
    assert stderr == ""
