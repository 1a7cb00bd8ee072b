"""Helpers for the C export tests: build a program with the strict flags, run it, read its tables."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from gatenet import runtime

CC = shutil.which("cc")
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]


def compile_and_run(tmp_path: Path, source: str, *flags: str) -> subprocess.CompletedProcess:
    """Build `source` with the strict flags (any warning fails the build) and run it."""
    assert CC, "no C compiler (cc) on this machine: .ci/run installs one"
    (tmp_path / "main.c").write_text(source)
    build = subprocess.run(
        [CC, *STRICT, *flags, "-I", str(tmp_path), "main.c", "-o", "main", "-lm"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    return subprocess.run([tmp_path / "main"], capture_output=True, text=True, timeout=60)


def table_program(models: list[runtime.GateModel]) -> str:
    """A C program printing, per model, what `_verify()` returns and the probabilities of every row."""
    lines = ["#include <stdio.h>", *[f'#include "{model.name.lower()}.h"' for model in models]]
    lines += ["int main(void)", "{"]
    for model in models:
        gate, upper = model.name.lower(), model.name.upper()
        lines += [
            "    {",
            f"        float bits[{upper}_INPUTS], out[{upper}_OUTPUTS];",
            f'        printf("{model.name} %d\\n", {gate}_verify());',
            f"        for (long row = 0; row < {upper}_ROWS; ++row) {{",
            f"            for (int i = 0; i < {upper}_INPUTS; ++i)",
            f"                bits[i] = (float)((row >> ({upper}_INPUTS - 1 - i)) & 1);",
            f"            {gate}_probabilities(bits, out);",
            f'            for (int j = 0; j < {upper}_OUTPUTS; ++j) printf("%.9g ", (double)out[j]);',
            '            printf("\\n");',
            "        }",
            "    }",
        ]
    return "\n".join([*lines, "    return 0;", "}", ""])


def run_tables(tmp_path: Path, models: list[runtime.GateModel]) -> dict[str, tuple[int, np.ndarray]]:
    """Each model's `_verify()` result and its probabilities, from one compiled program."""
    result = compile_and_run(tmp_path, table_program(models))
    assert result.returncode == 0, result.stderr
    found, lines = {}, iter(result.stdout.splitlines())
    for model in models:
        name, failing = next(lines).split()
        rows = [[float(value) for value in next(lines).split()] for _ in range(len(model.rows))]
        found[name] = (int(failing), np.array(rows))
    return found
