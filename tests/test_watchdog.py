"""The truth-time watchdog forks a copy of the process only where forking is safe."""

import contextlib
import os
import sys
import threading

import pytest

from gatenet import watchdog


def forks_in_a_region(monkeypatch) -> int:
    """How many times one watched region with one call forks (the fork itself is faked)."""
    forks = []

    def fake_fork() -> int:
        forks.append(1)
        raise RuntimeError("stop here: a fork was attempted")

    monkeypatch.setattr(os, "fork", fake_fork)
    with (
        pytest.raises(RuntimeError, match="a fork was attempted")
        if watchdog._safe_to_fork()
        else contextlib.nullcontext()
    ):
        with watchdog.watched(), watchdog.turn("gate X", 1.0):
            pass
    return len(forks)


def test_a_lone_thread_gets_a_shadow(monkeypatch):
    # as in a fresh command's process, whatever earlier tests in this one left behind
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    assert forks_in_a_region(monkeypatch) == 1


def test_no_shadow_is_forked_while_another_thread_runs(monkeypatch):
    """A forked copy has only the forking thread: a lock another thread held stays held forever."""
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert forks_in_a_region(monkeypatch) == 0
    finally:
        stop.set()
        other.join()


def test_no_shadow_once_tensorflow_is_loaded(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", object())
    assert forks_in_a_region(monkeypatch) == 0
