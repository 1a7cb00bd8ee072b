"""How fast is the browser gallery? Decision-surface redraws in headless Chromium, the first load, and
the update rate the playground's page receives while it trains.

    python benchmarks/web.py [--redraws 30]

Workload: `gatenet serve`'s server on a copy of the committed models (exported/; the training writes
into the copy), the XOR page opened in Chromium (Debian's /usr/bin/chromium, through Playwright). A
redraw is what the page does for a new surface: one batched onnxruntime-web run over the 128 x 128
grid, then painting the canvas (heat map, 0.5 boundary, axes, colour scale), timed until the canvas is
rasterized (a 1-pixel read forces it). Median over `--redraws` after 3 warm-ups. The first load is every
response the page receives until the XOR surface is drawn and the network is idle. The training is the
playground's default, XOR with gatenet train's network (1000 steps, 5 per update), Train pressed as soon
as the page shows it (so the first update waits for TensorFlow's import, which opening the playground
starts); its rate is the progress events a second the page received while it ran (the server paces
them at 25 a second), as the page itself measures it. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from gatenet.web.serve import make_server

EXPORTED = Path(__file__).resolve().parent.parent / "exported"
CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 20.0
TARGET_UPDATES = 10.0  # a second, at least, while a training runs
REDRAWS = """async (redraws) => {
    const { GRID, paint, sample } = await import('./js/surface.js');
    const { openModel } = await import('./js/runtime.js');
    const model = await openModel('models/xor.onnx');
    const canvas = document.querySelector('canvas.surface');
    const options = {
        output: 0, outputs: 1, inputNames: ['a', 'b'], outputName: 'out', expected: '0110', current: 0,
    };
    const times = { run: [], paint: [], redraw: [] };
    for (let i = 0; i < redraws + 3; i++) {
        const start = performance.now();
        const values = await sample(model);
        const ran = performance.now();
        paint(canvas, values, options);
        canvas.getContext('2d').getImageData(0, 0, 1, 1);
        const end = performance.now();
        if (i < 3) continue;
        times.run.push(ran - start);
        times.paint.push(end - ran);
        times.redraw.push(end - start);
    }
    return { points: GRID * GRID, ...times };
}"""


def train_xor(page, url: str) -> dict:
    """Train XOR from the playground with its default settings: the page's own count and rate."""
    page.goto(f"{url}/#playground")
    page.wait_for_selector('button[data-action="train"]:not([disabled])')
    started = time.perf_counter()
    page.click('button[data-action="train"]')
    page.wait_for_selector("article.playground[data-updates]", timeout=120_000)
    first = time.perf_counter() - started
    page.wait_for_selector('article.playground[data-state="done"]', timeout=300_000)
    whole = time.perf_counter() - started
    state = page.eval_on_selector("article.playground", "article => ({ ...article.dataset })")
    return {
        "updates": int(state["updates"]),
        "rate": float(state["rate"]),
        "first_s": first,
        "seconds": whole,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redraws", type=int, default=30)
    redraws = parser.parse_args().redraws
    scratch = tempfile.TemporaryDirectory(prefix="gatenet-web-bench-")
    folder = Path(scratch.name) / "exported"
    shutil.copytree(EXPORTED, folder)
    server, sock = make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            responses: list[tuple[str, int]] = []
            page.on("requestfinished", lambda r: responses.append((r.url, r.sizes()["responseBodySize"])))
            started = time.perf_counter()
            page.goto(f"{url}/#xor")
            page.wait_for_selector("canvas.surface[data-output]")
            first_load_s = time.perf_counter() - started
            page.wait_for_load_state("networkidle")
            times = page.evaluate(REDRAWS, redraws)
            training = train_xor(page, url)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(30)
        scratch.cleanup()
    medians = {kind: statistics.median(times[kind]) for kind in ("run", "paint", "redraw")}
    loaded = sum(size for _, size in responses)
    wasm = sum(size for address, size in responses if address.endswith(".wasm"))
    print(f"| decision surface of XOR, {times['points']:,} points, median of {redraws} | ms |")
    print("| --- | --- |")
    print(f"| one batched onnxruntime-web run | {medians['run']:.2f} |")
    print(f"| painting the canvas | {medians['paint']:.2f} |")
    print(f"| whole redraw (target < {TARGET_MS:g} ms) | {medians['redraw']:.2f} |")
    print()
    print("| first load of the XOR page | |")
    print("| --- | --- |")
    print(f"| responses | {len(responses)} |")
    print(f"| bytes downloaded | {loaded:,} |")
    print(f"| of which onnxruntime-web's wasm | {wasm:,} |")
    print(f"| seconds until the surface is drawn | {first_load_s:.2f} |")
    print()
    print("| playground: XOR, default settings (1000 steps, 5 per update) | |")
    print("| --- | --- |")
    print(f"| updates the page received | {training['updates']} |")
    print(f"| updates a second while it trained (target >= {TARGET_UPDATES:g}) | {training['rate']:.1f} |")
    first = training["first_s"]
    print(f"| seconds from Train to the first update (TensorFlow's import included) | {first:.2f} |")
    print(f"| seconds from Train to the verified model in the folder | {training['seconds']:.2f} |")
    print(
        json.dumps(
            {
                "benchmark": "web",
                "surface_points": times["points"],
                "redraws": redraws,
                **{f"{kind}_ms_median": round(value, 3) for kind, value in medians.items()},
                "first_load_requests": len(responses),
                "first_load_bytes": loaded,
                "first_load_wasm_bytes": wasm,
                "first_load_s": round(first_load_s, 3),
                "training_updates": training["updates"],
                "training_updates_per_s": training["rate"],
                "training_first_update_s": round(training["first_s"], 3),
                "training_s": round(training["seconds"], 3),
                "targets_met": {
                    "redraw_under_20_ms": medians["redraw"] < TARGET_MS,
                    "training_at_least_10_updates_per_s": training["rate"] >= TARGET_UPDATES,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
