import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="NOT_BITS", inputs=2, truth=[0, 1, 2, 0]))
