"""`gatenet site`: the gallery as static files, for any static host; the browser runs the models.

The site holds what the server answers, as files at the same paths: the page (static/), `gallery.json`,
`details/<key>.json` and `models/<file>`, plus `.gatenet-site`, which lists every file written and its
SHA-256. That list is what makes a folder safe to replace: `out` must be new, empty, or a site gatenet
wrote and nobody has added to or edited since; anything else is refused before anything is written.

The site is built beside `out` and swapped in by two renames, the earlier site moved aside first and
removed last. So a failure while building leaves an earlier site as it was, and a crash between the two
renames leaves it whole beside `out`, as `.<name>.<pid>.old`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from gatenet.manifest import sha256
from gatenet.store import FolderError
from gatenet.web import STATIC
from gatenet.web.catalog import DETAILS, GALLERY, MODELS, PLAYGROUND, Catalog, with_playground

MARKER = ".gatenet-site"
SHOWN = 3  # names of a refused folder's top that the refusal shows


def write_site(directory: Path | str, out: Path | str, playground: Path | str | None = None) -> Catalog:
    """Write the gallery of `directory` into `out`: a new or empty folder, or a site an earlier run wrote.
    The models of a `playground` folder are published too, under playground/, only when it is given."""
    if not str(out).strip():
        raise FolderError("--out: an empty path; give the folder to write the site to, e.g. --out site")
    out = Path(out).resolve()  # `.` has no name to build a sibling from
    _check_replaceable(out)  # first: a refusal must not wait for the folder to be read
    catalog = Catalog.read(directory)
    played = None if playground is None else Catalog.read(playground)
    staging = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        shutil.copytree(STATIC, staging)
        gallery = catalog.gallery(api=False)
        (staging / GALLERY).write_text(
            json.dumps(gallery if played is None else with_playground(gallery, played), indent=1)
        )
        _write_models(staging, catalog)
        if played is not None:
            _write_models(staging / PLAYGROUND, played)
        written = {name: sha256(path.read_bytes()) for name, path in sorted(_entries(staging))}
        marker = {"written_by": "gatenet site", "files": written}
        (staging / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return catalog


def _write_models(root: Path, catalog: Catalog) -> None:
    """The catalog's details and model files, where the gallery's URLs find them below `root`."""
    (root / DETAILS).mkdir(parents=True)
    for key in catalog.models:
        (root / DETAILS / f"{key}.json").write_text(json.dumps(catalog.details(key)))
    (root / MODELS).mkdir()
    for name in catalog.file_names():
        data = catalog.file(name)
        if data is None:
            raise FolderError(f"{catalog.folder.root / name}: a symlink leading out of the folder")
        (root / MODELS / name).write_bytes(data)


def _check_replaceable(out: Path) -> None:
    """Refuse, naming the folder and one file, an `out` whose replacing would lose something not ours.

    Decided from `out`'s top alone unless it holds our marker: a folder that is not empty and not a
    site is refused after reading a handful of names, however big it is (`--out /` included). Only an
    earlier site is walked, and the walk stops at the first file that site did not write.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise FolderError(f"{out}: exists and is not a folder; give --out a new or empty folder")
    with os.scandir(out) as found:
        top = sorted(entry.name for _, entry in zip(range(SHOWN + 1), found, strict=False))
    if not top:
        return
    written = _written(out)
    if written is None:
        shown = ", ".join(top[:SHOWN]) + (" and more" if len(top) > SHOWN else "")
        raise FolderError(
            f"{out}: is not a site gatenet wrote (it has no valid {MARKER} at its top) and holds {shown}; "
            f"nothing was changed: give --out a new or empty folder"
        )
    for name, path in _entries(out):
        if name == MARKER:
            continue
        if name not in written or path.is_symlink() or not path.is_file():
            why = "which gatenet site did not write"
        elif sha256(path.read_bytes()) != written[name]:
            why = "changed since gatenet site wrote it"
        else:
            continue
        raise FolderError(
            f"{out}: holds {name}, {why}; nothing was changed: move it away or give --out another folder"
        )


def _written(out: Path) -> dict | None:
    """The files an earlier `gatenet site` wrote into `out`, with their SHA-256; None if it wrote none."""
    try:
        files = json.loads((out / MARKER).read_text())["files"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return files if isinstance(files, dict) else None


def _entries(root: Path) -> Iterator[tuple[str, Path]]:
    """Every file and symlink under `root`, by its relative POSIX path, as the walk finds them (so a
    caller may stop early); symlinks are not followed."""
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        for name in [*files, *(name for name in folders if (here / name).is_symlink())]:
            yield (here / name).relative_to(root).as_posix(), here / name


def _replace(new: Path, out: Path) -> None:
    """Put `new` at `out`, moving an earlier site aside first and removing it after."""
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        out.rename(old)
    new.rename(out)
    shutil.rmtree(old, ignore_errors=True)
