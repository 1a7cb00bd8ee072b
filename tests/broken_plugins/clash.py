import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="xor", inputs=2, truth=lambda a, b: a | b))
