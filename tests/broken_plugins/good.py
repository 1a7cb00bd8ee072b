import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="GOOD", inputs=2, truth=lambda a, b: a & (1 - b)))
