import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="SHORT", inputs=2, truth=[0, 1]))
