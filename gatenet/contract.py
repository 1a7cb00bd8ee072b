"""The contract between gatenet and every app that runs its models: names, shapes and metadata keys.

Kept free of TensorFlow and onnx so the exporter writes, and the runtime reads, the same thing.
"""

from __future__ import annotations

import json

import numpy as np

from gatenet.gate import Bits

OPSET = 13
INPUT_NAME = "bits"
OUTPUT_NAME = "probabilities"
BATCH_DIM = "N"
FORMAT_VERSION = "1"

KEY_FORMAT = "gatenet.format"
KEY_GATE = "gatenet.gate"
KEY_DESCRIPTION = "gatenet.description"
KEY_INPUTS = "gatenet.inputs"
KEY_OUTPUTS = "gatenet.outputs"
KEY_TRUTH = "gatenet.truth_table"
KEY_MARGIN = "gatenet.margin"
KEY_SEED = "gatenet.seed"
KEY_NETWORK = "gatenet.network"
KEY_BUILD = "gatenet.build"
KEY_VERIFICATION = "gatenet.verification"  # only in circuits too large for a stored truth table
KEY_NETLIST = "gatenet.netlist"  # only in logic models: the circuit the model computes, as netlist JSON
KEY_CIRCUIT = "gatenet.circuit"  # only in circuit models: their parts and wiring, as JSON


def model_metadata(
    gate: Bits, margin: float, seed: int, network: dict, build: dict, sampled: int | None = None
) -> dict[str, str]:
    """The metadata that lets a model file describe and check itself, and say how it was made.

    A circuit verified on `sampled` rows has no table to carry; it says so instead.
    """
    truth = (
        {KEY_VERIFICATION: f"sampled {sampled}"}
        if sampled
        else {KEY_TRUTH: json.dumps(encode_table(gate.table))}
    )
    return {
        KEY_FORMAT: FORMAT_VERSION,
        KEY_GATE: gate.name,
        KEY_DESCRIPTION: gate.description,
        KEY_INPUTS: json.dumps(list(gate.input_names)),
        KEY_OUTPUTS: json.dumps(list(gate.output_names)),
        **truth,
        KEY_MARGIN: repr(float(margin)),
        KEY_SEED: str(int(seed)),
        KEY_NETWORK: json.dumps(network, sort_keys=True),
        KEY_BUILD: json.dumps(build, sort_keys=True),
    }


def encode_table(table: np.ndarray) -> list[str]:
    """One string of 0s and 1s per output; character i is row i in binary counting order."""
    columns = np.asarray(table, np.uint8).T + ord("0")
    return [column.tobytes().decode() for column in columns]


def decode_table(columns: list[str], inputs: int) -> np.ndarray:
    """The inverse of `encode_table`, refusing anything that is not a full table of 0s and 1s."""
    if not isinstance(columns, list) or not columns:
        raise ValueError("truth table must be a non-empty list of strings")
    for column in columns:
        if not isinstance(column, str) or len(column) != 2**inputs or set(column) - {"0", "1"}:
            raise ValueError(f"truth table columns must be {2**inputs} characters of 0 and 1")
    bits = np.frombuffer("".join(columns).encode(), np.uint8).reshape(len(columns), -1) - ord("0")
    return np.ascontiguousarray(bits.T)
