"""The playground's trainings: one at a time on a worker thread, a short queue, and the controls a page
sends while it watches (pause, step, reset, stop, speed).

Every TensorFlow call (training, then export) runs on the worker thread, never on the event loop, and
through gatenet's own code: `gatenet.trainer.LiveTraining` trains exactly as `gatenet train` does, and
`gatenet.pipeline.export_trained` verifies and commits as `gatenet train GATE --seed S --restarts 1`
would. TensorFlow is imported on first use, so the gallery starts fast and runs without it.

A training is paced to RATE updates a second, `speed` steps each: XOR's steps take well under a
millisecond, so unpaced it would be over before the page drew it. Whoever watches reads the latest state
through `Session.messages`; a training nobody has watched for GRACE seconds (a closed tab) is stopped,
so it cannot hold the only slot.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from gatenet import extras
from gatenet.manifest import ManifestError
from gatenet.store import FolderError, ModelFolder
from gatenet.web.errors import Refusal
from gatenet.web.settings import TrainingRequest, describe

if TYPE_CHECKING:
    from gatenet.logic_learner import LogicSnapshot

RATE = 25.0  # progress updates a second while a training runs
WAITING = 2  # trainings that may wait behind the running one; more are refused with 429
GRACE = 10.0  # seconds a training may go unwatched (a closed tab, a lost stream) before it is stopped
SETTLE = 10.0  # seconds a control's answer waits for the worker to carry it out
KEPT = 16  # ended trainings remembered, so a stream that reconnects still reads how one ended
ASKING = "asking"  # a page's claim while its request is checked, before its training is queued
ACTIONS = ("pause", "resume", "step", "reset", "stop", "speed")


def missing_extra() -> str | None:
    """The first module of the 'train' extra that is not installed, or None; imports nothing."""
    return extras.missing("train")


def sse(event: str, document: dict) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(document, allow_nan=False)}\n\n"


# What a failed network here is told: the page trains the one network set up, as `export_trained` does,
# while `gatenet train` would not stop at it (docs/training.md, "The escalation ladder").
LADDER_NOTE = (
    "This page trains the one network you set up; gatenet train {gate} would go on up its escalation "
    "ladder: more seeds, then a deeper network, then more steps"
)


class Watcher:
    """One stream reading a session: what it has been sent so far, and how to wake it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.status: dict | None = None
        self.version = 0
        self.run = 0
        self.points = 0

    def wake(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.event.set)
        except RuntimeError:  # its event loop has closed: the server is stopping
            pass


class Session:
    """One training: its request, where it is, what the page asked for, and its latest progress.

    The worker thread writes it and request handlers read and control it, all under one condition.
    """

    def __init__(self, request: TrainingRequest) -> None:
        self.id = secrets.token_urlsafe(9)
        self.request = request
        self.speed = request.speed
        self.phase = "queued"  # queued, starting, training, exporting, ended
        self.position = 0  # trainings ahead of it while queued
        self.note = ""
        self.paused = False
        self.end: dict | None = None
        self.run = 0  # starts so far: a reset begins a new run, and the page a new curve
        self.frame: dict | None = None
        self.version = 0
        self.curve: list[list[float]] = []  # [step, loss, accuracy] of every update of this run
        self._asked = {"reset": False, "steps": 0}
        self.stopped_because = ""  # why it was asked to stop, once it was
        self._next_tick = 0.0
        self._moving = False  # an update the running training started is under way
        self._working = False  # an update, step or reset of the worker is under way
        self._changed = threading.Condition()
        self._watchers: set[Watcher] = set()
        self._unwatched_since = time.monotonic()

    # Read by the streams.

    def status(self) -> dict:
        # Paused once the update under way when the page paused it is published, so the page's step
        # is final when it reads "paused": a Step then adds exactly `speed` to it.
        paused = self.paused and not self._moving
        state = {"training": "paused" if paused else "running", "ended": self.end and self.end["state"]}
        return {
            "state": state.get(self.phase, self.phase),
            "position": self.position,
            "speed": self.speed,
            "note": self.note,
        }

    def watch(self, loop: asyncio.AbstractEventLoop) -> Watcher:
        """A new reader of this session, woken on `loop` whenever something changes."""
        watcher = Watcher(loop)
        with self._changed:
            self._watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        """A reader went away; with the last one gone, the GRACE period starts."""
        with self._changed:
            self._watchers.discard(watcher)
            if not self._watchers:
                self._unwatched_since = time.monotonic()
            self._changed.notify_all()

    def messages(self, watcher: Watcher) -> tuple[list[str], bool]:
        """The events `watcher` has not seen yet, and whether the session has ended.

        Progress carries the latest weights and every curve point since the watcher's last, so a slow
        reader skips pictures but never a point of the learning curve.
        """
        with self._changed:
            status, frame, end, run = self.status(), self.frame, self.end, self.run
            restart = watcher.run != run
            curve = self.curve[0 if restart else watcher.points :]
            fresh = frame is not None and watcher.version != self.version
            watcher.run, watcher.version, watcher.points = run, self.version, len(self.curve)
        events = []
        if fresh:  # before the status: a page that reads "paused" has the last step already
            progress = {**frame, "steps": self.request.steps, "run": run, "restart": restart}
            events.append(sse("progress", {**progress, "curve": curve}))
        if status != watcher.status:
            watcher.status = status
            events.append(sse("status", status))
        if end is not None:
            events.append(sse("end", end))
        return events, end is not None

    # Asked by the page.

    def control(self, action: str, speed: int | None = None) -> dict:
        """Apply a page's control and answer the state it results in; a control that makes no sense in
        the state the training is in is refused (409) naming that state.

        One condition owns every change: a control changes what the page asked for (`paused`, a
        reset, steps, a stop) under it, and the worker only carries that out, never changes it, so no
        control is lost to another (a Resume right after a Reset stays resumed). The answer waits,
        at most SETTLE seconds, for the worker to carry it out: "paused" comes with the final step.
        """
        with self._changed:
            self._refuse(action)
            if action in ("pause", "resume"):
                self.paused = action == "pause"
            elif action == "step":
                self._asked["steps"] += 1
            elif action == "speed":
                self.speed = speed
            elif action == "reset":
                self._asked["reset"], self._asked["steps"], self.paused = True, 0, True
            else:
                self.stop("stopped from the page")
            self._changed_now()
            deadline = time.monotonic() + SETTLE
            while self._carrying_out() and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return self.status()

    def _refuse(self, action: str) -> None:
        """A 409 naming the state, for an action that state does not take."""
        if self.phase == "ended":
            raise Refusal(
                409, "action", f"{action} comes too late: this training has ended ({self.end['state']})"
            )
        if self.phase == "exporting" and action != "speed":
            raise Refusal(
                409, "action", f"{action} comes too late: the training is done and its model is exporting"
            )
        if self.phase in ("queued", "starting") and action not in ("stop", "speed"):
            raise Refusal(409, "action", f"{action} works once the training runs; it is {self.phase} now")
        if action == "step" and not self.paused:
            raise Refusal(409, "action", "step works while the training is paused; pause it first")

    def _carrying_out(self) -> bool:
        """The worker has yet to carry out what the page asked: a stop, a reset, a step, or a pause of
        the update under way."""
        if self.phase == "ended":
            return False
        asked = self.stopped_because or self._asked["reset"] or self._asked["steps"]
        return bool(asked or (self.paused and self._working))

    def stop(self, reason: str) -> None:
        """Ask the worker to stop this training at its next update."""
        with self._changed:
            self.stopped_because = self.stopped_because or reason
            self._changed_now()

    # Called by the worker thread.

    def begin(self) -> None:
        """The worker took it from the queue."""
        with self._changed:
            self.phase, self.position = "starting", 0
            self._changed_now()

    def show(self, frame: dict, restart: bool = False) -> None:
        """Publish the training's state after an update; `restart` starts a new run (and curve)."""
        with self._changed:
            if restart:
                self.run += 1
                self.curve = []
            self.phase, self._moving, self._working = "training", False, False
            self.frame = {key: _clean(value) for key, value in frame.items()}
            self.curve.append([frame["step"], self.frame["loss"], frame["accuracy"]])
            self.version += 1
            self._changed_now()

    def next_command(self) -> tuple[str, int]:
        """Wait for what to do next: ("stop" | "reset" | "train", steps). Training is paced to RATE."""
        with self._changed:
            while True:
                now = time.monotonic()
                if self.abandoned(now):
                    self.stop("nobody watched it")
                if self.stopped_because:
                    return "stop", 0
                if self._asked["reset"]:  # paused already, by the control that asked for it
                    self._asked["reset"], self._working = False, True
                    return "reset", 0
                if self._asked["steps"]:
                    self._asked["steps"] -= 1
                    self._working = True
                    return "train", self.speed
                if not self.paused and now >= self._next_tick:
                    self._next_tick = max(self._next_tick + 1 / RATE, now)
                    self._moving = self._working = True
                    return "train", self.speed
                self._changed.wait(1.0 if self.paused else min(1.0, self._next_tick - now))

    def begin_export(self) -> bool:
        """Move on to exporting, unless a stop came after the last update: then nothing is written.
        From here on, stop and reset are refused (see `control`)."""
        with self._changed:
            if self.stopped_because:
                return False
            self.phase, self.note = "exporting", ""
            self._changed_now()
            return True

    def set_phase(self, phase: str, note: str = "") -> None:
        with self._changed:
            self.phase, self.note = phase, note
            self._changed_now()

    def set_position(self, position: int) -> None:
        with self._changed:
            self.position = position
            self._changed_now()

    def finish(self, state: str, **outcome: object) -> None:
        """End the session: "done" (with the export's outcome), "stopped" or "failed". The end carries
        this training's last step, loss and accuracy, so a page sums up this run, never another's."""
        with self._changed:
            if self.phase == "ended":
                return
            self.phase, self.note = "ended", ""
            figures = {key: self.frame[key] for key in ("step", "loss", "accuracy")} if self.frame else {}
            self.end = {"state": state, "model": self.request.name, **figures, **outcome}
            self._changed_now()

    def abandoned(self, now: float) -> bool:
        """Nobody has read it for GRACE seconds."""
        with self._changed:
            return not self._watchers and now - self._unwatched_since > GRACE

    def _changed_now(self) -> None:
        self._changed.notify_all()
        for watcher in self._watchers:
            watcher.wake()


class Playground:
    """The trainings of one server, written to its playground folder (see `serve.default_playground`)."""

    def __init__(self, directory: Path, served: Path | None = None) -> None:
        self.directory = Path(directory)
        self.served = served  # the folder the gallery shows first, whose models hide the playground's
        self._lock = threading.Condition()
        self._waiting: deque[Session] = deque()
        self._current: Session | None = None
        self._sessions: dict[str, Session] = {}
        self._worker: threading.Thread | None = None
        self._closed = False
        self._warmed = False
        self._pages: dict[str, Session | str] = {}  # a page's training, or ASKING while it is checked

    def trainer(self) -> ModuleType:
        """gatenet.trainer, imported on first use; a 503 naming the extra when TensorFlow is missing."""
        missing = missing_extra()
        if missing is not None:
            raise Refusal(503, "train", extras.hint("train", missing))
        return importlib.import_module("gatenet.trainer")

    def warm(self) -> None:
        """Start importing TensorFlow in the background, so the first Train press does not wait for it."""
        if not self._warmed and missing_extra() is None:
            self._warmed = True
            threading.Thread(target=self.trainer, name="gatenet-import", daemon=True).start()

    def taken(self, request: TrainingRequest) -> str:
        """Why the model `request` would write is already in the folder (listed in its manifest, or a
        file of that name), whoever made it; "" when it is not."""
        folder = ModelFolder(self.directory)
        path = folder.model_path(request.gate.key)
        if path.name in _listed(folder):
            return f"{request.name} is already in {self.directory} ({path.name}, listed in its manifest)"
        if path.exists() or path.is_symlink():
            return f"{request.name} is already in {self.directory} (a file {path.name})"
        return ""

    @contextmanager
    def claim(self, page: str | None) -> Iterator[None]:
        """Hold `page`'s one training slot while its request is checked and queued (`submit`).

        A page trains one network at a time: a second request from a page whose training is being
        checked (TensorFlow may still be loading) or has not ended is refused with 409, never run
        beside the first. A request naming no page (an API client) is not limited here.
        """
        if page is None:
            yield
            return
        with self._lock:
            self._pages = {
                key: it for key, it in self._pages.items() if isinstance(it, str) or it.end is None
            }
            if page in self._pages:
                raise Refusal(
                    409, "page", "this page has a training under way already; stop it or wait for its end"
                )
            self._pages[page] = ASKING
        try:
            yield
        finally:
            with self._lock:
                if self._pages.get(page) == ASKING:  # refused before it was queued
                    del self._pages[page]

    def submit(self, request: TrainingRequest, page: str | None = None) -> Session:
        """Queue a training; 429 when WAITING trainings already wait behind a running one, and 409 when
        its model is already in the folder and the request did not say to replace it, or is in the
        served folder, whose model the gallery would show instead of it."""
        if self.served is not None and self.served.resolve() != self.directory.resolve():
            served = ModelFolder(self.served)
            name = served.model_path(request.gate.key).name
            if name in _listed(served):
                raise Refusal(
                    409,
                    "name",
                    f"{request.name} is in the served folder {self.served} ({name}); pick another name",
                )
        taken = "" if request.replace else self.taken(request)
        if taken:
            raise Refusal(409, "name", f"{taken}; pick another name, or ask to replace it", replaceable=True)
        with self._lock:
            now = time.monotonic()
            for session in [s for s in self._waiting if s.abandoned(now)]:
                self._drop(session, "nobody watched it")
            if self._closed:
                raise Refusal(503, "server", "the server is stopping")
            if len(self._waiting) + (self._current is not None) > WAITING:
                raise Refusal(
                    429, "queue", f"{WAITING} trainings are already waiting; try again when one has finished"
                )
            session = Session(request)
            self._sessions[session.id] = session
            if page is not None:
                self._pages[page] = session
            self._waiting.append(session)
            self._positions()
            self._forget()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="gatenet-playground", daemon=True)
                self._worker.start()
            self._lock.notify_all()
            return session

    def session(self, key: str) -> Session:
        """The training `key` names (a recent one, even if it ended), or a 404."""
        found = self._sessions.get(key)
        if found is None:
            raise Refusal(404, "session", f"no training {key[:40]!r}; it ended long ago or never was")
        return found

    def control(self, session: Session, action: str, speed: int | None = None) -> dict:
        """Apply a page's control; stopping a queued training takes it out of the queue at once."""
        with self._lock:
            if action == "stop" and session in self._waiting:
                self._drop(session, "stopped before it started")
                return session.status()
        return session.control(action, speed)

    def close(self, timeout: float = 30) -> None:
        """Stop every training and wait for the worker, for a server that is stopping: a process must not
        exit while TensorFlow runs in one of its threads."""
        with self._lock:
            self._closed = True
            for session in list(self._waiting):
                self._drop(session, "the server stopped")
            if self._current is not None:
                self._current.stop("the server stopped")
            self._lock.notify_all()
        if self._worker is not None:
            self._worker.join(timeout)

    def busy(self) -> dict:
        """How many trainings run and wait now; one that has announced its end no longer runs, even in
        the moment before the worker lets it go."""
        with self._lock:
            running = self._current is not None and self._current.end is None
            return {"running": int(running), "waiting": len(self._waiting)}

    def _drop(self, session: Session, reason: str) -> None:
        self._waiting.remove(session)
        session.finish("stopped", reason=reason)
        self._positions()

    def _positions(self) -> None:
        ahead = int(self._current is not None)
        for index, session in enumerate(self._waiting):
            session.set_position(ahead + index)

    def _forget(self) -> None:
        ended = [key for key, session in self._sessions.items() if session.phase == "ended"]
        for key in ended[: max(0, len(ended) - KEPT)]:
            del self._sessions[key]

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._waiting and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                session = self._current = self._waiting.popleft()
                self._positions()
            try:
                if session.abandoned(time.monotonic()):
                    session.finish("stopped", reason="nobody watched it")
                else:
                    self._train(session)
            except Refusal as refusal:
                session.finish("failed", problem=refusal.detail)
            except Exception as error:  # one failed training ends that training, never the server
                session.finish("failed", problem=f"the training failed: {describe(error)}")
            finally:
                with self._lock:
                    self._current = None
                    self._positions()

    def _train(self, session: Session) -> None:
        """Train as the page directs, then export, verify and commit as `gatenet train` would: a
        network as `gatenet train GATE --seed S --restarts 1`, a logic network as `--kind logic`."""
        session.begin()
        trainer = self.trainer()
        request = session.request
        if request.logic is None:
            from gatenet.pipeline import export_trained

            def start():
                return trainer.LiveTraining(request.gate, request.network, request.seed)

            def show(update: dict) -> dict:
                return update

            def export(live, writer) -> tuple[object, dict]:
                result = export_trained(live.result(), out_dir=self.directory, writer=writer)
                if not result.verified and result.error is None:
                    result.problem += f". {LADDER_NOTE.format(gate=request.gate.name)}"
                return result, {}

        else:
            from gatenet import logic_models
            from gatenet.logic_learner import LogicTraining
            from gatenet.recipe import LogicRecipe

            def start():
                return LogicTraining(request.gate, request.logic, request.seed)

            show = _logic_frame

            def export(live, writer) -> tuple[object, dict]:
                recipe = LogicRecipe(request.gate, request.logic, request.seed)
                result = logic_models.export_learned(recipe, live.result(), writer)
                circuit = None if result.netlist is None else result.netlist.to_dict()
                return result, {"gates": result.gates, "circuit": circuit}

        live = start()
        session.show(show(live.advance(0)), restart=True)
        while not live.done:
            command, steps = session.next_command()
            if command == "stop":
                session.finish("stopped", reason=session.stopped_because, step=live.step)
                return
            if command == "reset":
                live = start()
                session.show(show(live.advance(0)), restart=True)
            else:
                session.show(show(live.advance(steps)))
        if not session.begin_export():
            session.finish("stopped", reason=session.stopped_because, step=live.step)
            return
        folder = ModelFolder(self.directory)
        with folder.writing(
            "gatenet serve", on_wait=lambda note: session.set_phase("exporting", note)
        ) as writer:
            taken = "" if request.replace else self.taken(request)  # made meanwhile, by anyone
            if taken:
                session.finish("failed", problem=f"{taken} now; nothing was written")
                return
            result, more = export(live, writer)
        session.finish(
            "done",
            verified=result.verified,
            worst_margin=_finite(result.worst_margin),
            first_right_step=result.first_right_step,
            problem=result.problem,
            file=result.path.name if result.path else None,
            key=request.gate.key,
            **more,
        )


def _logic_frame(snapshot: LogicSnapshot) -> dict:
    """A logic training's update as the page reads it: the restart that is best now, node by node
    (the gate it leans to, how sure, the two signals it reads), and every restart's loss and accuracy."""
    return {
        "step": snapshot.step,
        "loss": snapshot.loss,
        "accuracy": snapshot.accuracy,
        "shown": snapshot.restart,
        "functions": snapshot.functions,
        "sure": snapshot.probabilities,
        "wires": [list(pair) for pair in snapshot.wires],
        "losses": snapshot.losses,
        "accuracies": snapshot.accuracies,
        "best_gates": snapshot.best_gates,
    }


def _listed(folder: ModelFolder) -> dict:
    """The folder's manifest entries; a folder that cannot say (an interrupted commit, a bad manifest)
    is a 503 naming it."""
    try:
        return folder.entries()
    except (FolderError, ManifestError) as error:
        raise Refusal(503, "folder", str(error)) from None


def _finite(value: float) -> float | None:
    """JSON has no NaN or infinity: a loss that blew up is shown as missing."""
    return float(value) if math.isfinite(value) else None


def _clean(value: object) -> object:
    """`value` with every NaN and infinity (of a network that diverged) as None, for JSON."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value
