import gatenet


@gatenet.hookimpl
def register_gates(register):
    raise RuntimeError("no table today")
