"""Every Boolean function of 1, 2, 3 and 4 inputs, as the opt-in families boolean1 ... boolean4.

A function is named by its truth-table number: bit i of the number is the output for row i, rows in
binary counting order. So BOOLEAN2_06 is XOR (rows 01 and 10 are 1: 2 + 4), BOOLEAN2_08 is AND, and
BOOLEAN4_27030 is 4-input parity. boolean4 has 65,536 members, made only when they are asked for.
"""

import functools

import gatenet


@gatenet.hookimpl
def register_gates(register):
    for inputs in (1, 2, 3, 4):
        size = 2**2**inputs
        register(gatenet.Family(f"boolean{inputs}", size, functools.partial(boolean_function, inputs)))


def boolean_function(inputs: int, number: int) -> gatenet.Gate:
    rows = 2**inputs
    return gatenet.Gate(
        name=f"BOOLEAN{inputs}_{number:0{len(str(2**rows - 1))}d}",
        inputs=inputs,
        truth=[(number >> row) & 1 for row in range(rows)],
        description=f"Boolean function {number} of {inputs} input{'s' if inputs > 1 else ''}",
    )
