"""Circuits wired from the shipped gates: adders, a multiplexer and a parity tree.

Each is built from verified gate models, not trained; its declared truth is checked against the
wiring. Inputs are listed most significant bit first, so a row reads as the binary numbers.
"""

import gatenet
from gatenet import Circuit, Part


def _bits(prefix: str, width: int) -> list[str]:
    """`a3 a2 a1 a0` for prefix a and width 4: most significant first, as rows are counted."""
    return [f"{prefix}{i}" for i in reversed(range(width))]


def _number(bits) -> int:
    """The unsigned number whose bits, most significant first, are `bits` (ints or numpy columns)."""
    value = 0
    for bit in bits:
        value = (value << 1) | bit
    return value


def adder_truth(width: int):
    """a + b + carry_in as `width` + 1 bits, carry_out first; works on ints and on numpy columns."""

    def truth(*bits):
        total = _number(bits[:width]) + _number(bits[width : 2 * width]) + bits[2 * width]
        return tuple((total >> shift) & 1 for shift in reversed(range(width + 1)))

    return truth


def ripple_adder(name: str, width: int, stage: str, stage_width: int) -> Circuit:
    """`width` bits added by a chain of `stage` parts of `stage_width` bits, each carrying into the next."""
    parts, carry = {}, "carry_in"
    for low in range(0, width, stage_width):
        index = low // stage_width
        bits = range(low + stage_width - 1, low - 1, -1)
        sources = [*(f"a{i}" for i in bits), *(f"b{i}" for i in bits), carry]
        parts[f"s{index}"] = Part(stage, *sources)
        carry = f"s{index}.carry_out"
    outputs = {"carry_out": carry}
    for low in reversed(range(0, width, stage_width)):
        for i in reversed(range(low, low + stage_width)):
            inner = f"sum{i - low}" if stage_width > 1 else "sum"
            outputs[f"sum{i}"] = f"s{low // stage_width}.{inner}"
    return Circuit(
        name,
        inputs=[*_bits("a", width), *_bits("b", width), "carry_in"],
        parts=parts,
        outputs=outputs,
        truth=adder_truth(width),
        description=f"{width}-bit ripple-carry adder: a + b + carry_in, from {width // stage_width} {stage}",
    )


@gatenet.hookimpl
def register_circuits(register):
    register(
        Circuit(
            "HALF_ADDER_WIRED",
            inputs=["a", "b"],
            parts={"x": Part("XOR", "a", "b"), "n": Part("AND", "a", "b")},
            outputs={"sum": "x", "carry": "n"},
            truth=lambda a, b: (a ^ b, a & b),
            description="a + b as two bits, wired from XOR and AND",
        )
    )
    register(
        Circuit(
            "FULL_ADDER_WIRED",
            inputs=["a", "b", "carry_in"],
            parts={
                "h1": Part("HALF_ADDER_WIRED", "a", "b"),
                "h2": Part("HALF_ADDER_WIRED", "h1.sum", "carry_in"),
                "o": Part("OR", "h1.carry", "h2.carry"),
            },
            outputs={"sum": "h2.sum", "carry_out": "o"},
            truth=lambda a, b, c: ((a + b + c) & 1, (a + b + c) >> 1),
            description="a + b + carry_in as two bits, from two wired half adders and OR",
        )
    )
    register(ripple_adder("ADD4", 4, "FULL_ADDER", 1))
    register(ripple_adder("ADD8", 8, "ADD4", 4))
    register(
        Circuit(
            "MUX4",
            inputs=["s1", "s0", "d0", "d1", "d2", "d3"],
            parts={
                "n1": Part("NOT", "s1"),
                "n0": Part("NOT", "s0"),
                "sel0": Part("AND", "n1", "n0"),
                "sel1": Part("AND", "n1", "s0"),
                "sel2": Part("AND", "s1", "n0"),
                "sel3": Part("AND", "s1", "s0"),
                "t0": Part("AND", "sel0", "d0"),
                "t1": Part("AND", "sel1", "d1"),
                "t2": Part("AND", "sel2", "d2"),
                "t3": Part("AND", "sel3", "d3"),
                "o01": Part("OR", "t0", "t1"),
                "o23": Part("OR", "t2", "t3"),
                "o": Part("OR", "o01", "o23"),
            },
            outputs={"out": "o"},
            truth=lambda s1, s0, *data: data[s1 * 2 + s0],
            description="the data input that s1 s0 selects, from NOT, AND and OR",
        )
    )
    inputs = list("abcdefgh")
    register(
        Circuit(
            "PARITY8_TREE",
            inputs=inputs,
            parts={
                "ab": Part("XOR", "a", "b"),
                "cd": Part("XOR", "c", "d"),
                "ef": Part("XOR", "e", "f"),
                "gh": Part("XOR", "g", "h"),
                "abcd": Part("XOR", "ab", "cd"),
                "efgh": Part("XOR", "ef", "gh"),
                "all": Part("XOR", "abcd", "efgh"),
            },
            outputs={"out": "all"},
            truth=lambda *bits: sum(bits) & 1,
            description="1 when an odd number of the 8 inputs are 1: a tree of 7 XORs, 3 deep",
        )
    )
