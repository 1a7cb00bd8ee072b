"""gatenet: learn logic gates with small Keras networks and ship them as verified ONNX models."""

from gatenet.check import DEFAULT_MARGIN, Check, check_table
from gatenet.gate import Gate, GateError
from gatenet.hookspecs import hookimpl
from gatenet.network import NetworkError, NetworkSpec

__all__ = [
    "DEFAULT_MARGIN",
    "Check",
    "Gate",
    "GateError",
    "NetworkError",
    "NetworkSpec",
    "check_table",
    "hookimpl",
]
