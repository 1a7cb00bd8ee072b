import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="WRONG_OUTPUTS", inputs=2, outputs=2, truth=lambda a, b: a))
