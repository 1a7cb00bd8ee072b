"""The model folder in a browser: `gatenet serve` (a small local server) and `gatenet site` (static files).

Both give the same single-page gallery, which runs the models itself with onnxruntime-web, shipped in
`static/vendor/` so nothing is fetched from anywhere else. The page reads the same relative URLs from
either: `gallery.json`, `details/<key>.json` and `models/<file>` (see `docs/web.md`). Only the server has
the playground, which trains a network while the page watches (`training.py`, `settings.py`,
`playground.py`); TensorFlow is imported when it is first used, never when the server starts.
Nothing in the core package imports this one: it is an optional extra (`pip install 'gatenet-logic[serve]'`).
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
