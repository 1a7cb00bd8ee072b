import gatenet


@gatenet.hookimpl
def register_gate(register):
    register(gatenet.Gate(name="NEVER", inputs=1, truth=lambda a: a))
