"""Bit-sliced C of logic models (issue 22) against the C of network models, nanoseconds per row.

Workload, in one run:
- `gatenet train XOR FULL_ADDER ADD4 --kind logic` in a fresh folder: XOR and FULL_ADDER learned by
  the logic learner (default `LogicSpec`, seed 0), and ADD4, a + b + carry_in of two 4-bit numbers
  (9 inputs, 5 outputs, 512 rows), the registered circuit of four FULL_ADDERs, built from the learned
  one. With `--adder-spec`, ADD4 is instead learned whole by `learn_circuits` with those settings
  (the logic learner does not learn a 9-input adder in reasonable time; see benchmarks/README.md);
- each model's `gatenet export-c` header, bit-sliced (ADD4's from its logic parts, composed);
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
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from c_export import c_nanoseconds

from gatenet import c_export, logic_onnx, runtime
from gatenet.gate import Gate
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import Netlist

ROOT = Path(__file__).resolve().parent.parent
GATENET = Path(sys.executable).with_name("gatenet")
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
    folder = Path(tempfile.mkdtemp(prefix="gatenet-bitsliced-"))
    logic = folder / "logic"
    # what a user runs: XOR and FULL_ADDER learned, ADD4 built from four of the learned FULL_ADDER
    train = [GATENET, "train", *GATES, "--kind", "logic", "--out", logic]
    subprocess.run(train, check=True, capture_output=True)
    how = "the circuit ADD4 of four learned FULL_ADDERs (gatenet train XOR FULL_ADDER ADD4 --kind logic)"
    models = {name: runtime.load_gate(name, logic) for name in GATES}
    if args.adder_spec:
        model = networks["ADD4"]
        gate = Gate("ADD4", model.input_names, [tuple(row) for row in model.table], model.output_names)
        (adder,) = learned([gate], LogicSpec(**json.loads(args.adder_spec)))
        (folder / "add4.onnx").write_bytes(logic_onnx.netlist_model(adder, gate))
        models["ADD4"] = runtime.load(folder / "add4.onnx")
        how = f"learned whole with {args.adder_spec}"
    sliced, network = folder / "bitsliced", folder / "network"
    sliced.mkdir()
    network.mkdir()
    rows = []
    for name in GATES:
        gate = name.lower()
        (sliced / f"{gate}.h").write_text(c_export.header(models[name]))
        (network / f"{gate}.h").write_text(c_export.header(networks[name]))
        gates = re.search(rf"#define {name}_GATES (\d+)", (sliced / f"{gate}.h").read_text())
        rows.append(
            {
                "gate": name,
                "gates": int(gates[1]),
                "bit-sliced ns/row, 64 rows a call": packed_nanoseconds(sliced, gate),
                "bit-sliced ns/row, one row a call": c_nanoseconds(sliced, gate),
                "network ns/row": c_nanoseconds(network, gate),
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
