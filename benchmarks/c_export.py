"""The C export against onnxruntime: object size per gate, and the time of one 1-row call.

Workload: the committed XOR, FULL_ADDER and PARITY8 models. For each, in one run:
- bytes of code and data of an object that calls `<gate>_probabilities` (cc -Os and -O2);
- nanoseconds per call of `<gate>_probabilities` (cc -O2, 2M calls, best of 5 rounds);
- one onnxruntime call of 1 row from Python (`GateModel.probabilities`, 20k calls, best of 5 rounds);
- one onnxruntime-free OpenCV DNN call from the C++ app (`gatenet-check time`), when it builds.
Targets: the XOR object under 1 KB, one row in under 100 ns.

    python benchmarks/c_export.py
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import onnx

from gatenet import c_export, runtime

ROOT = Path(__file__).resolve().parent.parent
GATES = ["XOR", "FULL_ADDER", "PARITY8"]

TIMER = """#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "{gate}.h"

int main(void)
{{
    static volatile float sink;
    float bits[{upper}_INPUTS] = {{0}}, out[{upper}_OUTPUTS];
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {{
        struct timespec start, stop;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long call = 0; call < 2000000L; ++call) {{
            bits[call % {upper}_INPUTS] = (float)(call & 1);  /* a new row each call */
            {gate}_probabilities(bits, out);
            sink = out[0];
        }}
        clock_gettime(CLOCK_MONOTONIC, &stop);
        double ns = ((stop.tv_sec - start.tv_sec) * 1e9 + (stop.tv_nsec - start.tv_nsec)) / 2000000.0;
        if (ns < best) best = ns;
    }}
    printf("%.2f\\n", best);
    return 0;
}}
"""


def object_bytes(folder: Path, gate: str, level: str) -> int:
    """text + data + bss of an object whose only function calls `<gate>_probabilities`."""
    source = folder / f"use_{gate}.c"
    source.write_text(
        f'#include "{gate}.h"\nvoid run(const float *b, float *o) {{ {gate}_probabilities(b, o); }}\n'
    )
    subprocess.run(
        ["cc", "-std=c99", level, "-c", source.name, "-o", f"use_{gate}.o"], cwd=folder, check=True
    )
    sizes = subprocess.run(["size", f"use_{gate}.o"], cwd=folder, capture_output=True, text=True, check=True)
    return sum(map(int, sizes.stdout.splitlines()[1].split()[:3]))


def weight_count(model: runtime.GateModel) -> int:
    """Weights and biases in the ONNX file (the header holds the same numbers)."""
    return sum(math.prod(init.dims) for init in onnx.load_from_string(model.data).graph.initializer)


def c_nanoseconds(folder: Path, gate: str) -> float:
    (folder / f"time_{gate}.c").write_text(TIMER.format(gate=gate, upper=gate.upper()))
    build = ["cc", "-std=c99", "-O2", f"time_{gate}.c", "-o", f"time_{gate}", "-lm"]
    subprocess.run(build, cwd=folder, check=True)
    return float(subprocess.run([folder / f"time_{gate}"], capture_output=True, text=True, check=True).stdout)


def python_nanoseconds(model: runtime.GateModel, calls: int = 20000) -> float:
    row = model.rows[-1:].astype("float32")
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            model.probabilities(row)
        best = min(best, (time.perf_counter() - started) / calls * 1e9)
    return best


def cpp_app(folder: Path) -> Path | None:
    """examples/cpp built in `folder`, or None when its packages are missing (then that column is empty)."""
    if not (ROOT / "examples" / "cpp" / "CMakeLists.txt").exists() or not shutil.which("cmake"):
        return None
    build = folder / "cpp"
    configure = subprocess.run(["cmake", "-S", ROOT / "examples" / "cpp", "-B", build], capture_output=True)
    if configure.returncode != 0:
        return None
    subprocess.run(["cmake", "--build", build, "-j2"], check=True, capture_output=True)
    return build / "gatenet-check"


def cpp_nanoseconds(app: Path | None, gate: str) -> float | None:
    if app is None:
        return None
    out = subprocess.run(
        [app, "time", ROOT / "exported", gate], capture_output=True, text=True, check=True
    ).stdout
    return float(re.search(r"([\d.]+) ns", out)[1])


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="gatenet-c-"))
    app = cpp_app(folder)
    rows = []
    for name in GATES:
        model = runtime.load_gate(name, ROOT / "exported")
        gate = name.lower()
        (folder / f"{gate}.h").write_text(c_export.header(model))
        rows.append(
            {
                "gate": name,
                "weights": weight_count(model),
                "object bytes -Os": object_bytes(folder, gate, "-Os"),
                "object bytes -O2": object_bytes(folder, gate, "-O2"),
                "C ns/row": c_nanoseconds(folder, gate),
                "onnxruntime from Python ns/call": python_nanoseconds(model),
                "OpenCV DNN from C++ ns/call": cpp_nanoseconds(app, name),
            }
        )
    shutil.rmtree(folder)
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " | Python / C |")
    print("|" + " --- |" * (len(columns) + 1))
    for row in rows:
        cells = [f"{row[key]:.1f}" if isinstance(row[key], float) else str(row[key]) for key in columns]
        ratio = row["onnxruntime from Python ns/call"] / row["C ns/row"]
        print("| " + " | ".join(cells) + f" | {ratio:.0f}x |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
