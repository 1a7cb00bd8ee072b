"""Chunks of work as Ray tasks: the cluster trains, the driver alone writes the model folder.

`runner(address)` gives a `map` for `pipeline.stream_gates(run_jobs=...)` and the sweeps: each job
(a chunk of gates x seeds with one setting, seconds of work) becomes one Ray task, a few per CPU of
the cluster are in flight at once, and results come back in job order, so a run with Ray commits the
same models in the same order as a run without. A task whose worker dies is run again by Ray
(`max_retries`); only the driver commits, once per job, so nothing is lost or written twice.

Nothing else in gatenet imports Ray: it is imported here, when `--ray` is given.
"""

from __future__ import annotations

import collections
import re
import socket
from collections.abc import Callable, Iterable, Iterator

from gatenet import extras

# 'local' (a new cluster for this run), 'auto' (the one this machine is part of), HOST:PORT, ray://HOST:PORT
ADDRESS = re.compile(r"local|auto|ray://\S+|[\w.-]+:\d+|\[[0-9a-fA-F:]+\]:\d+")
HOST_PORT = re.compile(r"(?:ray://)?\[?(?P<host>[^\[\]]+?)\]?:(?P<port>\d+)")
CONNECT_TIMEOUT = 5.0  # seconds: a cluster that answers does so in milliseconds
IN_FLIGHT_PER_CPU = 2  # enough that a CPU never waits for the driver, few enough to bound memory
RETRIES = 3

RunJobs = Callable[[Callable, Iterable], Iterable]  # map(function, jobs): here, on Ray, or elsewhere


def runner(address: str | None = "local", retries: int = RETRIES) -> RunJobs | None:
    """Connect to the Ray cluster at `address` ('auto', 'host:port', 'ray://...'), or start a local one
    for this process with 'local'; return `run_jobs(function, jobs)`, a `map` whose calls run as tasks.
    With no address, None: the work runs in this process, and Ray is not imported."""
    if address is None:
        return None
    check_reachable(address)
    try:
        import ray
    except ImportError as error:
        raise extras.error("ray", error) from None
    if not ray.is_initialized():
        # "local" always starts a new cluster; None would join whatever RAY_ADDRESS or a running one says.
        ray.init(address=address, logging_level="ERROR", include_dashboard=False)
    in_flight = IN_FLIGHT_PER_CPU * max(1, int(ray.cluster_resources().get("CPU", 1)))

    def run_jobs(function: Callable, jobs: Iterable) -> Iterator:
        task = ray.remote(num_cpus=1, max_retries=retries)(function)
        pending: collections.deque = collections.deque()
        try:
            for job in jobs:
                pending.append(task.remote(job))
                if len(pending) >= in_flight:
                    yield ray.get(pending.popleft())
            while pending:
                yield ray.get(pending.popleft())
        finally:  # a failure or Ctrl-C here must not leave work running on a shared cluster
            for reference in pending:
                ray.cancel(reference, force=True)

    return run_jobs


class RayError(ValueError):
    """The Ray cluster cannot be reached; the message names its address."""


def check_reachable(address: str | None, timeout: float = CONNECT_TIMEOUT) -> None:
    """Refuse a HOST:PORT (or ray://HOST:PORT) address where nothing accepts a connection, in seconds
    and without importing Ray: `ray.init` would print its C++ retry warnings and wait for minutes.
    'local' starts a cluster and 'auto' finds one, so they have nothing to probe."""
    match = HOST_PORT.fullmatch(address or "")
    if match is None:
        return
    host, port = match["host"], int(match["port"])
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except (OSError, OverflowError) as error:  # OverflowError: a port above 65535
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise RayError(
            f"--ray {address}: no Ray cluster answers there ({reason}); start one with "
            "`ray start --head`, or give the address it prints"
        ) from None
