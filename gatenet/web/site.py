"""`gatenet site`: the gallery as static files, for any static host; the browser runs the models.

The site holds what the server answers, as files at the same paths: the page (static/), `gallery.json`,
`details/<key>.json` and `models/<file>`. It is built beside `out` and renamed into place, so an
existing site is replaced whole or not at all.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from gatenet.store import FolderError
from gatenet.web import STATIC
from gatenet.web.catalog import DETAILS, GALLERY, MODELS, Catalog


def write_site(directory: Path | str, out: Path | str) -> Catalog:
    """Write the gallery of `directory` into `out`: a new folder, or one an earlier run wrote."""
    catalog = Catalog.read(directory)
    out = Path(out)
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / GALLERY).is_file())):
        raise FolderError(f"{out}: exists and is not a gallery site; give --out a new or empty folder")
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        shutil.copytree(STATIC, staging)
        (staging / GALLERY).write_text(json.dumps(catalog.gallery(api=False), indent=1))
        (staging / DETAILS).mkdir()
        for key in catalog.models:
            (staging / DETAILS / f"{key}.json").write_text(json.dumps(catalog.details(key)))
        (staging / MODELS).mkdir()
        for name in catalog.file_names():
            data = catalog.file(name)
            if data is None:
                raise FolderError(f"{catalog.folder.root / name}: a symlink leading out of the folder")
            (staging / MODELS / name).write_bytes(data)
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return catalog


def _replace(new: Path, out: Path) -> None:
    """Put `new` at `out`, moving an earlier site aside first and removing it after."""
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        out.rename(old)
    new.rename(out)
    shutil.rmtree(old, ignore_errors=True)
