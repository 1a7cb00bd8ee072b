"""The hooks a gatenet plugin can implement."""

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("gatenet")
hookimpl = pluggy.HookimplMarker("gatenet")


@hookspec
def register_gates(register: Callable[..., None]) -> None:
    """Call `register(gatenet.Gate(...))` once for each gate the plugin provides."""


@hookspec
def register_circuits(register: Callable[..., None]) -> None:
    """Call `register(gatenet.Circuit(...))` once for each circuit the plugin wires from gates."""
