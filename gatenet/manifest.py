"""`manifest.json`: which models a folder holds, the SHA-256 of each of their files, how they verified.

Only parsing and writing the document lives here; where the files are is the model folder's business
(`gatenet.store`). Everything read is validated first, so a bad manifest is one clear error naming
the entry and the field, never a traceback and never a silently trusted file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from gatenet.check import is_margin
from gatenet.gate import NAME_RULE, is_name

FORMAT = 2
READABLE_FORMATS = (1, 2)  # format 1, from gatenet 0.1, lists no SHA-256 for test data and history
SHA256 = re.compile(r"[0-9a-f]{64}")
MODEL_SUFFIX = ".onnx"
RELATIVE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*")


class ManifestError(ValueError):
    """A manifest that cannot be trusted; the message names the file, the entry and the field."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_names(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_text(item) for item in value)


def _is_table(value: object) -> bool:
    return _is_names(value) and all(set(column) <= {"0", "1"} for column in value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_relative_path(value: object) -> bool:
    """A plain relative path: no `..`, nothing absolute, no backslash or odd character."""
    return isinstance(value, str) and RELATIVE_PATH.fullmatch(value) is not None and ".." not in value


def is_model_name(value: object) -> bool:
    """A model's file name, `xor.onnx`: a gate name, lower-cased, and the suffix."""
    return (
        isinstance(value, str)
        and value.endswith(MODEL_SUFFIX)
        and is_name(value.removesuffix(MODEL_SUFFIX))
        and value == value.lower()
    )


def _is_files(value: object) -> bool:
    return isinstance(value, dict) and all(
        is_relative_path(path) and isinstance(digest, str) and SHA256.fullmatch(digest)
        for path, digest in value.items()
    )


def _is_build(value: object) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"seed", "restarts", "export"}
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value.values())
    )


def _is_circuit(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.get("wiring") in ("digital", "analog")
        and isinstance(value.get("gates"), dict)
        and all(
            is_relative_path(name) and SHA256.fullmatch(str(digest))
            for name, digest in value["gates"].items()
        )
    )


def _is_versions(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


# field -> (check, what it must be); every entry needs all of them but `files` in format 1 and those
# in OPTIONAL, which gatenet 0.1 and the first format-2 folders did not write.
FIELDS = {
    "gate": (
        is_name,
        f"a gate name ({NAME_RULE})",
    ),
    "sha256": (lambda v: isinstance(v, str) and SHA256.fullmatch(v) is not None, "64 hex digits"),
    "opset": (_is_whole, "a whole number"),
    "inputs": (_is_names, "a list of input names"),
    "outputs": (_is_names, "a list of output names"),
    "truth_table": (_is_table, "a list of strings of 0 and 1"),
    "test_data": (is_relative_path, "a relative path inside the folder"),
    "history": (is_relative_path, "a relative path inside the folder"),
    "files": (_is_files, "a mapping of relative paths inside the folder to SHA-256 digests"),
    "verified": (lambda v: v is True, "true"),
    "margin": (is_margin, "a number in (0, 0.5]"),
    "worst_margin": (_is_number, "a number"),
    "seed": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "steps": (_is_whole, "a whole number"),
    "first_right_step": (lambda v: v is None or _is_whole(v), "a whole number or null"),
    "network": (lambda v: isinstance(v, dict), "a mapping of network settings"),
    "build": (_is_build, "a mapping of whole numbers seed, restarts and export"),
    "trained_with": (_is_versions, "a mapping of library names to versions"),
    "circuit": (_is_circuit, "a mapping with wiring (digital or analog) and the SHA-256 of each gate model"),
}
OPTIONAL = {"build", "trained_with", "circuit"}  # `circuit` only for circuit models


def parse(text: str | bytes, where: str) -> dict[str, dict]:
    """The `models` mapping (file name -> entry) of a manifest document, every entry validated.

    `where` names the manifest in errors, e.g. its path.
    """
    return parse_document(text, where)[1]


def parse_document(text: str | bytes, where: str) -> tuple[int, dict[str, dict]]:
    """The format a manifest was written in, and its validated `models` (see `parse`); a writer
    brings an older format up to `FORMAT` with `gatenet.migrations`."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestError(f"{where}: not valid JSON ({error})") from None
    except RecursionError:
        raise ManifestError(f"{where}: nested too deep to be a manifest") from None
    if not isinstance(document, dict):
        raise ManifestError(f"{where}: expected a JSON object with 'format' and 'models'")
    version = document.get("format")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
        raise ManifestError(
            f"{where}: format {version} was written by a newer gatenet than this one (which reads "
            f"formats {', '.join(map(str, READABLE_FORMATS))}); upgrade gatenet to read it"
        )
    if isinstance(version, bool) or version not in READABLE_FORMATS:
        raise ManifestError(
            f"{where}: format {version!r} is not one this gatenet reads {list(READABLE_FORMATS)}"
        )
    models = document.get("models")
    if not isinstance(models, dict):
        raise ManifestError(f"{where}: 'models' must be a mapping of model file names to entries")
    for name, entry in models.items():
        check_entry(name, entry, f"{where}: {name}", needs_files=version >= 2)
    return version, models


def check_entry(name: str, entry: object, where: str, needs_files: bool = True) -> None:
    """One entry: every field present and of the right kind, and named after its gate."""
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
    sampled = str((entry.get("circuit") or {}).get("verification", "")).startswith("sampled ")
    for field, (valid, meaning) in FIELDS.items():
        if field not in entry:
            if field in OPTIONAL or (field == "files" and not needs_files):
                continue
            if field == "truth_table" and sampled:  # too many rows to store; verified on a sample
                continue
            raise ManifestError(f"{where}: missing field {field!r}")
        if not valid(entry[field]):
            raise ManifestError(f"{where}: {field} must be {meaning}, got {short(entry[field])}")
    if name != f"{entry['gate'].lower()}{MODEL_SUFFIX}":
        raise ManifestError(f"{where}: the entry is for gate {entry['gate']!r}, whose file is not {name!r}")


def dump(models: dict[str, dict]) -> bytes:
    """The manifest document, sorted, so the same models always give the same bytes."""
    document = {"format": FORMAT, "models": dict(sorted(models.items()))}
    return (json.dumps(document, indent=2) + "\n").encode()


def short(value: object) -> str:
    """A value as JSON for an error line, cut to 60 characters."""
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
