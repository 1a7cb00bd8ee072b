"""Learned logic-gate circuits for every Boolean function of 2 and 3 inputs, against the exact minimum.

Workload: all 16 two-input and all 256 three-input functions, learned in one call of
`gatenet.logic_learner.learn_circuits` with its default `LogicSpec` (one compiled program per shape,
every restart of every function in it) and seed 0. Prints how many were learned exactly (a minimized
netlist right on every row), the time, and per gate count how many functions need that many gates
(`gatenet.exact_minimum`) beside how many gatenet's circuits have. With --extras, also FULL_ADDER
(minimum 5 gates) and PARITY8 (minimum 7), each with a wider network.

    python benchmarks/logic_functions.py [--seed 0] [--extras]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from gatenet.exact_minimum import minimum_gates
from gatenet.gate import Gate
from gatenet.logic_learner import LearnedCircuit, learn_circuits
from gatenet.logic_spec import LogicSpec


def all_functions(inputs: int) -> list[Gate]:
    """Function f's output on row r (binary counting order) is bit r of f."""
    rows = 2**inputs
    return [Gate(f"F{inputs}_{f}", inputs, [(f >> r) & 1 for r in range(rows)]) for f in range(2**rows)]


def report(title: str, learned: list[LearnedCircuit]) -> dict:
    """Print one family's table; return its figures."""
    optimum = [minimum_gates(result.gate.table) for result in learned]
    exact = [result for result in learned if result.verified]
    ours = Counter(result.gates for result in exact)
    best = Counter(optimum)
    at_minimum = sum(result.gates == cost for result, cost in zip(learned, optimum, strict=True))
    print(
        f"\n{title}: {len(exact)}/{len(learned)} learned exactly, {at_minimum} with the fewest gates possible"
    )
    print(f"{'gates':>5}  {'minimum':>7}  {'gatenet':>7}")
    for gates in sorted(set(ours) | set(best)):
        print(f"{gates:>5}  {best.get(gates, 0):>7}  {ours.get(gates, 0):>7}")
    total = sum(result.gates for result in exact)
    print(f"{'sum':>5}  {sum(optimum):>7}  {total:>7}")
    return {
        "functions": len(learned),
        "exact": len(exact),
        "at_minimum": at_minimum,
        "gates": total,
        "minimum_gates": sum(optimum),
        "histogram": {str(k): ours[k] for k in sorted(ours)},
    }


def extras(seed: int) -> dict:
    """FULL_ADDER with more restarts; PARITY8 with a tree-shaped network (4, 2, 1 nodes) and a longer run.

    Parity is the hard case for gradients: no part of the inputs correlates with the output, so the
    loss is flat until the whole tree is right."""
    full_adder = Gate("FULL_ADDER", 3, lambda a, b, c: ((a + b + c) % 2, int(a + b + c >= 2)), outputs=2)
    parity = Gate("PARITY8", 8, lambda *bits: sum(bits) % 2)
    figures = {}
    for gate, spec, minimum in (
        (full_adder, LogicSpec(restarts=64), 5),
        (parity, LogicSpec(width=4, depth=2, restarts=32, steps=1500), 7),
    ):
        started = time.perf_counter()
        result = learn_circuits([gate], spec, seed)[0]
        seconds = time.perf_counter() - started
        print(
            f"\n{gate.name}: exact {result.verified}, {result.gates} gates "
            f"(minimum {minimum}), {seconds:.1f} s"
        )
        if result.netlist is not None:
            print(result.netlist)
        figures[gate.name] = {"exact": result.verified, "gates": result.gates, "seconds": round(seconds, 1)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extras", action="store_true", help="also FULL_ADDER and PARITY8")
    arguments = parser.parse_args()
    two, three = all_functions(2), all_functions(3)
    spec = LogicSpec()
    print(f"spec: {spec}")
    started = time.perf_counter()
    learned = learn_circuits(two + three, spec, arguments.seed)
    seconds = time.perf_counter() - started
    print(f"{len(learned)} functions, {spec.restarts} restarts each, in one call: {seconds:.1f} s")
    figures = {
        "seconds": round(seconds, 1),
        "boolean2": report("2 inputs", learned[: len(two)]),
        "boolean3": report("3 inputs", learned[len(two) :]),
    }
    if arguments.extras:
        figures["extras"] = extras(arguments.seed)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
