"""`manifest.json`: which models a folder holds, their SHA-256 and how they verified."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

MANIFEST_NAME = "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(directory: Path) -> dict:
    """The manifest's `models` mapping (file name -> entry), empty when there is none yet."""
    path = Path(directory) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        models = json.loads(path.read_text())["models"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a gatenet manifest ({error})") from error
    if not isinstance(models, dict):
        raise ValueError(f"{path}: not a gatenet manifest ('models' is not a mapping)")
    return models


def record_models(directory: Path, entries: dict[str, dict]) -> None:
    """Add or replace models' entries (file name -> entry), writing the manifest atomically."""
    models = read_manifest(directory)
    models.update(entries)
    document = {"format": 1, "models": dict(sorted(models.items()))}
    write_atomically(Path(directory) / MANIFEST_NAME, (json.dumps(document, indent=2) + "\n").encode())


def write_atomically(path: Path, data: bytes, accept: Callable[[Path], bool] | None = None) -> bool:
    """Write `data` beside `path` and rename it into place, so readers never see half a file.

    `accept` sees the finished temporary file first; when it says no, `path` is left as it was.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would make shipped files private
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if accept is not None and not accept(Path(temporary)):
            Path(temporary).unlink()
            return False
        os.replace(temporary, path)
        return True
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
