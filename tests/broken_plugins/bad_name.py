import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="bad-name", inputs=2, truth=lambda a, b: a))
