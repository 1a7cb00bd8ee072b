import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="TRUTH_RAISES", inputs=2, truth=lambda a, b: a // 0))
