"""NOT, NOR, XNOR and IMPLIES: the rest of the one- and two-input gates people reach for."""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(
        gatenet.Gate(name="NOT", inputs=1, truth=lambda a: 1 - a, description="the inverse of its input")
    )
    register(
        gatenet.Gate(
            name="NOR", inputs=2, truth=lambda a, b: 1 - (a | b), description="1 only when both are 0"
        )
    )
    register(
        gatenet.Gate(
            name="XNOR", inputs=2, truth=lambda a, b: int(a == b), description="1 when the inputs agree"
        )
    )
    register(
        gatenet.Gate(
            name="IMPLIES", inputs=2, truth=lambda a, b: (1 - a) | b, description="a -> b: 0 only for 1, 0"
        )
    )
