import gatenet


@gatenet.hookimpl
def register_gates(register):
    register("XOR")
