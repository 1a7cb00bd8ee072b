"""`manifest.json`: which models a folder holds, the SHA-256 of each of their files, how they verified.

Only parsing and writing the document lives here; where the files are is the model folder's business
(`gatenet.store`). Everything read is validated first, so a bad manifest is one clear error naming
the entry and the field, never a traceback and never a silently trusted file.
"""

from __future__ import annotations

import hashlib
import json

from gatenet.record import ManifestError, ModelRecord

# Format 1 (gatenet 0.1) lists no SHA-256 for test data and history; format 2 gives no kind, which a
# `circuit` field implied; format 3 gives each model's kind (`gatenet.record`).
FORMAT = 3
READABLE_FORMATS = (1, 2, 3)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse(text: str | bytes, where: str) -> dict[str, ModelRecord]:
    """The models (file name -> record) of a manifest document, every entry validated.

    `where` names the manifest in errors, e.g. its path.
    """
    return parse_document(text, where)[1]


def parse_document(text: str | bytes, where: str) -> tuple[int, dict[str, ModelRecord]]:
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
    return version, {
        name: ModelRecord.from_json(name, entry, f"{where}: {name}", version)
        for name, entry in models.items()
    }


def dump(models: dict[str, ModelRecord]) -> bytes:
    """The manifest document, sorted, so the same models always give the same bytes."""
    document = {"format": FORMAT, "models": {name: models[name].to_json() for name in sorted(models)}}
    return (json.dumps(document, indent=2) + "\n").encode()
