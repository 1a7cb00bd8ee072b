"""gatenet: learn logic gates with small Keras networks and ship them as verified ONNX models."""

from gatenet.check import DEFAULT_MARGIN, Check, check_table
from gatenet.circuit import Circuit, CircuitError, Part
from gatenet.family import Family
from gatenet.gate import Gate, GateError
from gatenet.hookspecs import hookimpl
from gatenet.network import NetworkError, NetworkSpec

_LAZY = {
    "train": "gatenet.api",
    "build": "gatenet.api",
    "folder_status": "gatenet.api",
    "sweep": "gatenet.api",
    "gates": "gatenet.api",
    "build_circuits": "gatenet.api",
    "capacity": "gatenet.api",
    "load": "gatenet.runtime",
    "load_dir": "gatenet.runtime",
    "load_gate": "gatenet.runtime",
}


def __getattr__(name: str) -> object:
    """`gatenet.train`, `gatenet.load` and friends, imported on first use so `import gatenet` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gatenet' has no attribute {name!r}")


__all__ = [
    "DEFAULT_MARGIN",
    "Check",
    "Circuit",
    "CircuitError",
    "Family",
    "Gate",
    "GateError",
    "NetworkError",
    "NetworkSpec",
    "Part",
    "check_table",
    "build",
    "build_circuits",
    "capacity",
    "gates",
    "hookimpl",
    "load",
    "load_dir",
    "load_gate",
    "folder_status",
    "sweep",
    "train",
]
