"""Does `gatenet serve` stay small and quick on a folder of 65,536 models (the boolean4 family)?

    python benchmarks/serve_scale.py [--models 65536] [--keep DIR]

Target: under 1 GB RSS, and the first page (the page and its `gallery.json`) in under 5 s from the
command's start.

How the folder is made, honestly: exporting 65,536 real models takes about 13 minutes, so this trains
one real boolean4 member (`gatenet train BOOLEAN4_06969`, a few seconds) and makes every other member
from it. Each `boolean4_NNNNN.onnx` is that network's ONNX file with its metadata rewritten (with the
`onnx` package) to name member NNNNN with its own truth table, so each file is distinct, has its own
SHA-256 and passes every check the server makes: its bytes against the manifest, and, when it is
loaded, its metadata against its entry. Its weights are the template's, so the models do not compute
their tables: `gatenet verify` would fail them, and the server never runs verify. The history and
test data are hard links to the template's (one SHA-256 for all). The manifest is the template's entry
for each member with its name, table, paths and digests, written by `gatenet.manifest.dump`.

Measured: `gatenet serve --port 0` in a fresh process on that folder: the seconds from starting the
command until `/` and then `/gallery.json` were fully received (which includes reading the whole
folder), and the server's RSS then; then 200 different models asked for through `/api/predict` (each
loaded, then let go past the session cache), their details and model files, and the RSS after; then
the manifest replaced by a copy with one entry changed, and the seconds until `/gallery.json` shows it.
Peak RSS (VmHWM) is the server's whole life. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import onnx

from gatenet import contract
from gatenet.manifest import dump, sha256
from gatenet.plugins import collect_gates

TEMPLATE = "BOOLEAN4_06969"
TARGET_RSS = 1 << 30
TARGET_FIRST_PAGE_S = 5.0
SHARED = ("history.json", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb")
GATENET = Path(sys.executable).with_name("gatenet")


def make_folder(root: Path, count: int) -> Path:
    """`count` boolean4 members made from one trained template (see the module's docstring)."""
    template = root / "template"
    subprocess.run([GATENET, "train", TEMPLATE, "--out", template], check=True, capture_output=True)
    key = TEMPLATE.lower()
    entry = json.loads((template / "manifest.json").read_text())["models"][f"{key}.onnx"]
    model = onnx.load_model_from_string((template / f"{key}.onnx").read_bytes())
    registry = collect_gates()
    width = len(TEMPLATE.rpartition("_")[2])
    folder = root / "boolean4"
    folder.mkdir()
    entries = {}
    sources = {relative: template / key / relative for relative in SHARED}
    for number in range(count):
        gate = registry.find(f"BOOLEAN4_{number:0{width}d}")
        name = gate.name
        member = name.lower()
        table = contract.encode_table(gate.table)
        metadata = {prop.key: prop.value for prop in model.metadata_props}
        metadata.update({contract.KEY_GATE: name, contract.KEY_TRUTH: json.dumps(table)})
        del model.metadata_props[:]
        for field, value in sorted(metadata.items()):
            model.metadata_props.add(key=field, value=value)
        data = model.SerializeToString()
        (folder / f"{member}.onnx").write_bytes(data)
        (folder / member / "test_data_set_0").mkdir(parents=True)
        for relative in SHARED:
            try:
                os.link(sources[relative], folder / member / relative)
            except OSError as error:  # a file takes at most 65,000 links on ext4: start a new one
                if error.errno != errno.EMLINK:
                    raise
                shutil.copyfile(sources[relative], folder / member / relative)
                sources[relative] = folder / member / relative
        files = {path.replace(key, member, 1): digest for path, digest in entry["files"].items()}
        entries[f"{member}.onnx"] = {
            **entry,
            "gate": name,
            "sha256": sha256(data),
            "truth_table": table,
            "test_data": f"{member}/test_data_set_0",
            "history": f"{member}/history.json",
            "files": files,
        }
    (folder / "manifest.json").write_bytes(dump(entries))
    return folder


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def memory(pid: int) -> dict[str, int]:
    """The process's resident set now and at its peak, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = {key: int(value) * 1024 for key, value in re.findall(r"(VmRSS|VmHWM):\s+(\d+) kB", status)}
    return {"rss": found["VmRSS"], "peak": found["VmHWM"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=65_536)
    parser.add_argument("--keep", type=Path, help="reuse (or make and keep) the folder under this path")
    options = parser.parse_args()
    scratch = None
    if options.keep and (options.keep / "boolean4" / "manifest.json").is_file():
        folder = options.keep / "boolean4"
    else:
        root = options.keep or Path((scratch := tempfile.TemporaryDirectory(prefix="gatenet-serve-")).name)
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        folder = make_folder(root, options.models)
        print(f"made {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    models = len(json.loads((folder / "manifest.json").read_text())["models"])
    started = time.perf_counter()
    command = [GATENET, "serve", "--dir", str(folder), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        printed_s = time.perf_counter() - started
        assert get(port, "/")[0] == 200
        status, index = get(port, "/gallery.json")
        first_page_s = time.perf_counter() - started
        assert status == 200 and len(json.loads(index)["models"]) == models, status
        after_first_page = memory(process.pid)
        keys = sorted(json.loads(index)["models"], key=lambda m: m["key"])
        chosen = keys[:: max(1, len(keys) // 200)][:200]
        started_clicks = time.perf_counter()
        for model in chosen:
            bits = "0" * len(model["inputs"])
            assert get(port, f"/api/predict?model={model['name']}&bits={bits}")[0] == 200
            assert get(port, f"/{model['details']}")[0] == 200
            assert get(port, f"/{model['model']}")[0] == 200
        per_model_ms = (time.perf_counter() - started_clicks) / len(chosen) * 1000
        after_models = memory(process.pid)

        # A commit elsewhere: one entry changed (its worst margin), the manifest replaced by a rename.
        manifest = json.loads((folder / "manifest.json").read_text())
        first = next(iter(manifest["models"].values()))
        first["worst_margin"] = 0.4321
        replacement = folder / ".gatenet" / "bench-manifest.json"
        replacement.parent.mkdir(exist_ok=True)
        replacement.write_bytes(dump(manifest["models"]))
        del manifest, first
        original = (folder / "manifest.json").read_bytes()
        os.replace(replacement, folder / "manifest.json")
        changed = time.perf_counter()
        status, index = get(port, "/gallery.json")
        reread_s = time.perf_counter() - changed
        assert status == 200 and b"0.4321" in index
        (folder / "manifest.json").write_bytes(original)
        del index
        final = memory(process.pid)
    finally:
        process.terminate()
        process.communicate(timeout=60)
        if scratch is not None:
            scratch.cleanup()
    peak = final["peak"]
    mib = 1 << 20
    print(f"| gatenet serve on {models:,} models (boolean4, made from one trained member) | |")
    print("| --- | --- |")
    print(f"| seconds until it printed its URL (the folder read) | {printed_s:.2f} |")
    print(
        f"| seconds until / and /gallery.json ({len(json.dumps(keys)) / mib:.0f} MiB) were received "
        f"(target < {TARGET_FIRST_PAGE_S:g}) | {first_page_s:.2f} |"
    )
    print(f"| RSS after the first page, MiB | {after_first_page['rss'] / mib:.0f} |")
    print(f"| ms per model for predict + details + file, {len(chosen)} models | {per_model_ms:.1f} |")
    print(
        f"| RSS after {len(chosen)} models were loaded (sessions cached: at most 32), MiB | "
        f"{after_models['rss'] / mib:.0f} |"
    )
    print(f"| seconds for /gallery.json after a manifest change (one entry) | {reread_s:.2f} |")
    print(f"| peak RSS over the server's life (target < 1024 MiB), MiB | {peak / mib:.0f} |")
    print(
        json.dumps(
            {
                "benchmark": "serve_scale",
                "models": models,
                "url_printed_s": round(printed_s, 3),
                "first_page_s": round(first_page_s, 3),
                "rss_after_first_page_bytes": after_first_page["rss"],
                "per_model_ms": round(per_model_ms, 2),
                "rss_after_models_bytes": after_models["rss"],
                "manifest_change_s": round(reread_s, 3),
                "peak_rss_bytes": peak,
                "targets_met": {
                    "rss_under_1_gb": peak < TARGET_RSS,
                    "first_page_under_5_s": first_page_s < 5,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
