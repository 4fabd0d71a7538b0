"""Batch-1 latency of exported models in the browser: onnxruntime-web (wasm, one thread) in headless
Chromium, through the web example's driver (examples/web/run_in_chromium.mjs), one browser for all.

Each case (``python -m motionlab.export.case``) is a recorded session of test frames; every window is
run ``repeat`` times and the median kept, and a model's latency is the median over its windows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

WEB_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "web"
FRAME_BUDGET_MS = 1000 / 30  # one frame at 30 fps


def missing() -> str | None:
    """Why the browser cannot run here (None: it can)."""
    if shutil.which("node") is None or shutil.which("chromium") is None:
        return "node and chromium are needed (apt-get install -y chromium)"
    if not (WEB_EXAMPLE / "node_modules" / "onnxruntime-web").is_dir():
        return "run `make web-example` first"
    return None


def browser_latency(cases: Sequence[Path], repeat: int) -> dict[Path, dict[str, float]]:
    """Per case: the median and 90th percentile of its windows' median latency (ms), and the
    onnxruntime-web version; every output checked against Python ONNX Runtime by the page."""
    command = ["node", "run_in_chromium.mjs", "--chromium", shutil.which("chromium") or "chromium"]
    command += ["--repeat", str(repeat), *map(str, cases)]
    done = subprocess.run(command, cwd=WEB_EXAMPLE, capture_output=True, text=True, timeout=1800)
    results = {}
    for line in done.stdout.splitlines():
        result = json.loads(line)
        if result.get("errors") or not result.get("ok"):
            raise RuntimeError(f"{result['case']}: the browser run failed: {result.get('errors')}")
        latencies = np.asarray(result["latencies"])
        results[Path(result["case"])] = {
            "median_ms": float(np.median(latencies)),
            "p90_ms": float(np.percentile(latencies, 90)),
            "ort_web": result["ortVersion"],
        }
    if done.returncode != 0 and len(results) < len(cases):
        raise RuntimeError(f"the browser run failed:\n{done.stderr[-3000:]}")
    return results
