"""AND, OR and NAND: the linearly separable gates that complete the classic set."""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(
        gatenet.Gate(name="AND", inputs=2, truth=lambda a, b: a & b, description="1 when both inputs are 1")
    )
    register(gatenet.Gate(name="OR", inputs=2, truth=lambda a, b: a | b, description="1 when any input is 1"))
    register(
        gatenet.Gate(
            name="NAND", inputs=2, truth=lambda a, b: 1 - (a & b), description="0 only when both are 1"
        )
    )
