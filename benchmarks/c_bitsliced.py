"""Bit-sliced C of logic models (issue 22) against the C of network models, nanoseconds per row.

Workload, in one run:
- XOR and FULL_ADDER learned by the logic learner (`learn_circuits`, default `LogicSpec`, seed 0);
- ADD4, a + b + carry_in of two 4-bit numbers (9 inputs, 5 outputs, 512 rows): learned with
  `--adder-spec` settings when given, else a ripple carry of four copies of the learned FULL_ADDER
  (the logic learner's defaults do not learn a 9-input adder; see benchmarks/README.md);
- each as a logic model (`logic_onnx.netlist_model`) and its `gatenet export-c` header, bit-sliced;
- against the committed network models' headers: exported/xor.onnx, full_adder.onnx and the ADD4
  circuit (four network full adders, digital wiring), each the same truth table.

Times (cc -O2, best of 5 rounds):
- bit-sliced, 64 rows a call: `<gate>_packed` over 1024 words of random rows, 1000 passes; after each
  call the first input word is XORed with the first output word, so no pass can be skipped;
- bit-sliced, one row a call: `<gate>_probabilities`, as benchmarks/c_export.py times it;
- network, one row a call: `<gate>_probabilities` of the network header (2M calls, benchmarks/c_export.py).
Target: at most 1 ns per row bit-sliced. Every header's `_verify()` is run and must return 0.

    python benchmarks/c_bitsliced.py [--adder-spec '{"width": 16, "depth": 12, "steps": 6000}']
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from c_export import c_nanoseconds

from gatenet import c_export, logic_onnx, runtime
from gatenet.gate import Gate
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import Netlist, Node, Output, exact, minimize

ROOT = Path(__file__).resolve().parent.parent
GATES = ["XOR", "FULL_ADDER", "ADD4"]
BLOCKS, PASSES = 1024, 1000

PACKED_TIMER = """#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "{gate}.h"

static uint64_t in[{blocks}][{upper}_INPUTS], out[{blocks}][{upper}_OUTPUTS];

int main(void)
{{
    uint64_t state = 0x9E3779B97F4A7C15u, sink = 0;
    double best = 1e30;
    for (int b = 0; b < {blocks}; ++b)
        for (int i = 0; i < {upper}_INPUTS; ++i) {{
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            in[b][i] = state;
        }}
    if ({gate}_verify() != 0) return 1;
    for (int round = 0; round < 5; ++round) {{
        struct timespec start, stop;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long pass = 0; pass < {passes}L; ++pass)
            for (int b = 0; b < {blocks}; ++b) {{
                {gate}_packed(in[b], out[b]);
                in[b][0] ^= out[b][0];  /* the next pass reads what this one wrote */
            }}
        clock_gettime(CLOCK_MONOTONIC, &stop);
        double ns = ((stop.tv_sec - start.tv_sec) * 1e9 + (stop.tv_nsec - start.tv_nsec))
            / ({passes}.0 * {blocks} * 64);
        if (ns < best) best = ns;
    }}
    for (int b = 0; b < {blocks}; ++b) sink ^= out[b][{upper}_OUTPUTS - 1];
    printf("%.4f %d\\n", best, (int)(sink & 1));
    return 0;
}}
"""


def learned(gates: list[Gate], spec: LogicSpec | None) -> list[Netlist]:
    """The logic learner's circuits for `gates`; a gate it does not learn exactly is an error."""
    from gatenet.logic_learner import learn_circuits

    results = learn_circuits(gates, spec)
    missing = [result.gate.name for result in results if result.netlist is None]
    if missing:
        raise SystemExit(f"the logic learner found no exact circuit for {', '.join(missing)}")
    return [result.netlist for result in results]


def ripple_carry(full_adder: Netlist, adder: Gate) -> Netlist:
    """ADD4 as four copies of `full_adder` (inputs a, b, carry_in; outputs sum, carry_out) in a ripple
    carry: hand wiring of learned parts. A part's complemented output is a NOT gate, which the
    minimization of the header absorbs into the gates that read it."""
    nodes: list[Node] = []
    count = adder.inputs

    def place(sources: list[int]) -> list[int]:
        """Append one copy of the full adder reading `sources`; the signals of its outputs."""
        offset = count + len(nodes)
        signal = {i: source for i, source in enumerate(sources)}
        for k, node in enumerate(full_adder.nodes):
            nodes.append(Node(node.function, signal[node.a], signal[node.b]))
            signal[len(sources) + k] = offset + k
        outputs = []
        for out in full_adder.outputs:
            value = signal[out.signal]
            if out.complement:
                nodes.append(Node(12, value, value))  # NOT_A
                value = count + len(nodes) - 1
            outputs.append(value)
        return outputs

    carry, sums = adder.input_names.index("carry_in"), []
    for bit in range(4):
        a, b = (adder.input_names.index(f"{x}{bit}") for x in "ab")
        total, carry = place([a, b, carry])
        sums.append(total)
    outputs = {"carry_out": carry} | {f"sum{bit}": sums[bit] for bit in range(4)}
    netlist = Netlist(
        adder.input_names,
        tuple(nodes),
        tuple(Output(outputs[name]) for name in adder.output_names),
        adder.output_names,
    )
    assert exact(netlist, adder.table) is None, "the ripple carry is not ADD4"
    return minimize(netlist)


def packed_nanoseconds(folder: Path, gate: str) -> float:
    source = PACKED_TIMER.format(gate=gate, upper=gate.upper(), blocks=BLOCKS, passes=PASSES)
    (folder / f"packed_{gate}.c").write_text(source)
    build = ["cc", "-std=c99", "-O2", f"packed_{gate}.c", "-o", f"packed_{gate}"]
    subprocess.run(build, cwd=folder, check=True)
    result = subprocess.run([folder / f"packed_{gate}"], capture_output=True, text=True, check=True)
    return float(result.stdout.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adder-spec", help="LogicSpec fields as JSON: learn ADD4 with them")
    args = parser.parse_args()
    networks = {name: runtime.load_gate(name, ROOT / "exported") for name in GATES}
    gates = {
        name: Gate(name, model.input_names, [tuple(row) for row in model.table], model.output_names)
        for name, model in networks.items()
    }
    xor, full_adder = learned([gates["XOR"], gates["FULL_ADDER"]], None)
    if args.adder_spec:
        (adder,) = learned([gates["ADD4"]], LogicSpec(**json.loads(args.adder_spec)))
        how = f"learned with {args.adder_spec}"
    else:
        adder = ripple_carry(full_adder, gates["ADD4"])
        how = "ripple carry of four learned FULL_ADDERs"
    circuits = {"XOR": xor, "FULL_ADDER": full_adder, "ADD4": adder}
    folder = Path(tempfile.mkdtemp(prefix="gatenet-bitsliced-"))
    (folder / "logic").mkdir()
    (folder / "network").mkdir()
    rows = []
    for name, netlist in circuits.items():
        gate = name.lower()
        path = folder / "logic" / f"{gate}.onnx"
        path.write_bytes(logic_onnx.netlist_model(netlist, gates[name]))
        (folder / "logic" / f"{gate}.h").write_text(c_export.header(runtime.load(path)))
        (folder / "network" / f"{gate}.h").write_text(c_export.header(networks[name]))
        rows.append(
            {
                "gate": name,
                "gates": minimize(netlist).gates,
                "bit-sliced ns/row, 64 rows a call": packed_nanoseconds(folder / "logic", gate),
                "bit-sliced ns/row, one row a call": c_nanoseconds(folder / "logic", gate),
                "network ns/row": c_nanoseconds(folder / "network", gate),
            }
        )
    shutil.rmtree(folder)
    print(f"ADD4: {how}")
    columns = list(rows[0])
    ratios = {way: f"network / bit-sliced, {way}" for way in ("64 rows a call", "one row a call")}
    print("| " + " | ".join([*columns, *ratios.values()]) + " |")
    print("|" + " --- |" * (len(columns) + len(ratios)))
    for row in rows:
        cells = [f"{row[key]:.3f}" if isinstance(row[key], float) else str(row[key]) for key in columns]
        cells += [f"{row['network ns/row'] / row[f'bit-sliced ns/row, {way}']:,.0f}x" for way in ratios]
        print("| " + " | ".join(cells) + " |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
