import gatenet


@gatenet.hookimpl
def register_gates(add):
    add(gatenet.Gate(name="NEVER2", inputs=1, truth=lambda a: a))
