"""Every Boolean function of 1, 2 and 3 inputs, as the opt-in families boolean1, boolean2, boolean3.

A function is named by its truth-table number: bit i of the number is the output for row i, rows in
binary counting order. So BOOLEAN2_06 is XOR (rows 01 and 10 are 1: 2 + 4), BOOLEAN2_08 is AND.
"""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    for inputs in (1, 2, 3):
        rows = 2**inputs
        digits = len(str(2**rows - 1))
        for number in range(2**rows):
            register(
                gatenet.Gate(
                    name=f"BOOLEAN{inputs}_{number:0{digits}d}",
                    inputs=inputs,
                    truth=[(number >> row) & 1 for row in range(rows)],
                    description=f"Boolean function {number} of {inputs} input{'s' if inputs > 1 else ''}",
                    family=f"boolean{inputs}",
                )
            )
