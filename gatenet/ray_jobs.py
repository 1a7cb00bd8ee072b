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
from collections.abc import Callable, Iterable, Iterator

IN_FLIGHT_PER_CPU = 2  # enough that a CPU never waits for the driver, few enough to bound memory
RETRIES = 3


def runner(address: str = "local", retries: int = RETRIES) -> Callable[[Callable, Iterable], Iterator]:
    """Connect to the Ray cluster at `address` ('auto', 'host:port', 'ray://...'), or start a local one
    for this process with 'local'; return `run_jobs(function, jobs)`, a `map` whose calls run as tasks."""
    try:
        import ray
    except ImportError as error:
        raise ImportError(f"--ray needs Ray ({error.name} is missing): pip install 'gatenet[ray]'") from None
    if not ray.is_initialized():
        ray.init(
            address=None if address == "local" else address,
            logging_level="ERROR",
            include_dashboard=False,
        )
    in_flight = IN_FLIGHT_PER_CPU * max(1, int(ray.cluster_resources().get("CPU", 1)))

    def run_jobs(function: Callable, jobs: Iterable) -> Iterator:
        task = ray.remote(num_cpus=1, max_retries=retries)(function)
        pending: collections.deque = collections.deque()
        for job in jobs:
            pending.append(task.remote(job))
            if len(pending) >= in_flight:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())

    return run_jobs
