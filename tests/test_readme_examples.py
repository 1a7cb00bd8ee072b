"""The README's and the docs' console examples are what gatenet prints: each ```console block whose
commands are all `gatenet ...` and that shows some output is run, in order, the blocks of one page
sharing one sandbox (a copy of the committed `exported/` in an empty folder), as a reader following
the page would run them. The output must match the page line by line, except for:

- `...`, which stands for any number of lines the page leaves out;
- a table's `seconds` column, which is a timing;
- a number with decimals, which may differ by two units of its last shown digit (a different CPU's
  float rounding), never more: a number that changed for real fails.

Python examples that show a result as a comment (`xor.predict(rows)  # array([[0], [1]], dtype=uint8)`)
are run the same way: the value's numbers, at the decimals shown, its nesting and its dtype must match.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from folder_tools import GATENET, ROOT, copy_models

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ELIDED = "..."
TIMING = "seconds"
NUMBER = re.compile(r"-?\d+\.\d+")
RESULT = re.compile(r"^(?P<expression>\S.*?)  # (?P<shown>(?:array\(|\[).*)$")  # code, then its value
VALUE = re.compile(r"-?\d+(?:\.\d+)?(?:\.\.\.)?")


@dataclass
class Command:
    line: int  # in its page, for the failure message
    words: list[str]
    shown: list[str]


def console_blocks(text: str) -> list[list[Command]]:
    """The page's console blocks that can be run here: only `gatenet` commands, and some output shown
    (a block of commands alone is an example to read, not a transcript)."""
    blocks = []
    for match in re.finditer(r"^```console\n(.*?)^```$", text, re.S | re.M):
        first = text.count("\n", 0, match.start()) + 2
        commands: list[Command] = []
        for offset, line in enumerate(match.group(1).splitlines()):
            if line.startswith("$ "):
                commands.append(Command(first + offset, shlex.split(line[2:], comments=True), []))
            elif commands:
                commands[-1].shown.append(line)
        if commands and all(c.words[0] == "gatenet" for c in commands) and any(c.shown for c in commands):
            blocks.append(commands)
    return blocks


def masked(lines: list[str]) -> list[str]:
    """Lines with a table's timing column blanked, from its heading's position to the line's end of
    that column (the tables are fixed width, right-aligned)."""
    result, span = [], None
    for line in lines:
        heading = line.find(f" {TIMING} ")
        if heading >= 0 and not NUMBER.search(line):
            end = heading + len(TIMING) + 1
            span = (end - 8, end)  # the column is 8 wide
        if span and len(line) >= span[1] and heading < 0:
            line = line[: span[0]] + " " * (span[1] - span[0]) + line[span[1] :]
        result.append(line)
    return result


def same_line(shown: str, printed: str) -> bool:
    """Equal but for numbers with decimals within two units of the last digit the page shows."""
    if NUMBER.sub("#", shown) != NUMBER.sub("#", printed):
        return False
    for page, real in zip(NUMBER.findall(shown), NUMBER.findall(printed), strict=True):
        decimals = len(page.split(".")[1])
        if len(real.split(".")[1]) != decimals or abs(float(page) - float(real)) > 2.001 * 10**-decimals:
            return False
    return True


def matches(shown: list[str], printed: list[str]) -> bool:
    """`printed` as the page shows it, `...` standing for any run of lines."""
    if not shown:
        return not printed
    if shown[0] == ELIDED:
        return any(matches(shown[1:], printed[start:]) for start in range(len(printed) + 1))
    return bool(printed) and same_line(shown[0], printed[0]) and matches(shown[1:], printed[1:])


def run(command: Command, sandbox: Path) -> list[str]:
    """The command as a reader types it, stdout and stderr together as a terminal shows them."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    words = [str(GATENET), *command.words[1:]]
    result = subprocess.run(
        words, cwd=sandbox, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600
    )
    return result.stdout.splitlines()


def page_examples() -> list:
    return [
        pytest.param(page, blocks, id=str(page.relative_to(ROOT)))
        for page in PAGES
        if (blocks := console_blocks(page.read_text()))
    ]


@pytest.mark.parametrize(("page", "blocks"), page_examples())
def test_the_page_s_console_examples_print_what_it_shows(tmp_path, page, blocks):
    copy_models(tmp_path / "exported")
    for block in blocks:
        for command in block:
            printed = masked(run(command, tmp_path))
            shown = masked(command.shown)
            assert matches(shown, printed), (
                f"{page.name}:{command.line}: $ {shlex.join(command.words)}\n"
                "the page shows:\n" + "\n".join(command.shown) + "\nit prints:\n" + "\n".join(printed)
            )


def test_only_timings_and_the_last_digits_of_numbers_may_differ():
    """The comparison itself: the README's old 0.006495 (the model gives 0.007587) is caught, a rounding
    difference in the last digit is not, and neither is the time a training took."""
    assert not matches(["0.006495"], ["0.007587"])
    assert matches(["0.007587"], ["0.007588"]) and not matches(["0.488"], ["0.478"])
    assert not matches(["0.49"], ["0.488"])  # the page's format changed
    heading = "gate             verified   worst margin  steps all right at  seconds  file"
    shown = [
        heading,
        "XOR              yes               0.488   1000           14     0.63  models/xor.onnx",
    ]
    printed = [
        heading,
        "XOR              yes               0.488   1000           14    11.20  models/xor.onnx",
    ]
    assert matches(masked(shown), masked(printed))
    assert not matches(masked(shown), masked([heading, printed[1].replace("1000", "2000")]))
    assert matches(["a", ELIDED, "z"], ["a", "b", "c", "z"]) and not matches(["a", ELIDED, "z"], ["a", "b"])
    # A Python result comment: the number at its decimals, the nesting, the dtype.
    value = np.array([[0.00758705]], np.float32)
    assert shows("array([[0.0076...]], dtype=float32)", value) and shows("[[0.008]]", value)
    assert not shows("array([[0.0065...]], dtype=float32)", value) and not shows("[0.008]", value)
    assert not shows("array([[0]], dtype=uint8)", value)


def python_examples(text: str) -> list[str]:
    """The page's Python blocks that show a result as a comment."""
    blocks = re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)
    return [block for block in blocks if any(RESULT.match(line) for line in block.splitlines())]


def shows(shown: str, value: object) -> bool:
    """Whether `value` is what the comment shows: each number at its shown decimals (an integer exactly,
    `0.0076...` rounded to four), the same nesting, and the dtype when one is shown."""
    array = np.asarray(value)
    body, _, dtype = shown.partition("dtype=")
    numbers = VALUE.findall(body)
    if VALUE.sub("#", body.removeprefix("array(").rstrip(", )")) != VALUE.sub("#", str(array.tolist())):
        return False
    if dtype and dtype.rstrip(")") != array.dtype.name:
        return False
    for text, real in zip(numbers, array.flatten().tolist(), strict=True):
        decimals = len(text.removesuffix("...").partition(".")[2])
        allowed = 2.001 * 10**-decimals if decimals else 0
        if abs(float(text.removesuffix("...")) - real) > allowed:
            return False
    return True


@pytest.mark.parametrize(
    ("page", "block"),
    [
        pytest.param(page, block, id=f"{page.relative_to(ROOT)}-{index}")
        for page in PAGES
        for index, block in enumerate(python_examples(page.read_text()))
    ],
)
def test_the_page_s_python_examples_give_what_it_shows(tmp_path, monkeypatch, page, block):
    copy_models(tmp_path / "exported")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    statements: list[str] = []
    for line in block.splitlines():
        result = RESULT.match(line)
        if not result:
            statements.append(line)
            continue
        exec("\n".join(statements), namespace)
        statements = []
        value = eval(result["expression"], namespace)
        assert shows(result["shown"], value), f"{page.name}: {line}\nit gives: {value!r}"
