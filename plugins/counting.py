"""MAJORITY3 and PARITY3 to PARITY8: gates that count their inputs.

Parity is the classic hard case for small networks: every input bit flips the answer, so no input
can be ignored and no single line splits the table. The default 16 hidden units and 1000 steps fail
PARITY4 on some seeds, so parity asks for 8 hidden units per input and 2000 steps, which verified
every one of 100 seeds for 3 to 8 inputs (benchmarks/reliability.py measures it on 200).
"""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(
        gatenet.Gate(
            name="MAJORITY3",
            inputs=3,
            truth=lambda a, b, c: int(a + b + c >= 2),
            description="1 when at least two of three inputs are 1",
        )
    )
    for inputs in range(3, 9):
        register(
            gatenet.Gate(
                name=f"PARITY{inputs}",
                inputs=inputs,
                truth=lambda *bits: sum(bits) % 2,
                description=f"1 when an odd number of the {inputs} inputs are 1",
                network={"hidden": (8 * inputs,), "steps": 2000},
            )
        )
