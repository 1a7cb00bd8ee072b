"""XOR: the gate a single straight line cannot separate, and the reason gatenet has hidden layers."""

import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(
        gatenet.Gate(
            name="XOR",
            inputs=2,
            truth=lambda a, b: a ^ b,
            description="1 when exactly one input is 1",
        )
    )
