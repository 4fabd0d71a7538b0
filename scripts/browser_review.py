"""Look at TensorBoard and optuna-dashboard the way a user does: in a real browser, headless Chromium.

    python scripts/browser_review.py --logdir outputs \\
        --study sqlite:///outputs/sweeps/workout_tcn_demo/study.db --screenshots docs/images

It starts TensorBoard on ``--logdir`` (and optuna-dashboard on ``--study``) on free local ports, opens
each page in Chromium (a fresh profile, no network beyond 127.0.0.1), waits until the page shows what
it must, saves a screenshot and prints one line per check. It checks that

- Scalars shows the ``train``, ``val`` and ``test`` sections, no ``hp/`` charts and no run name ending
  in ``/tensorboard``;
- HParams has a column for every metric of the logdir's experiment record (every task's);
- Graphs draws the model's outputs under the task's output names;
- optuna-dashboard labels the objective with the study's metric name, not "Objective 0".

Exit status 1 when a check fails. Chromium is Debian's ``chromium`` package; the DevTools protocol
is spoken over tornado's websocket client (installed with the dev extra's notebook tools).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import optuna
from tornado.websocket import WebSocketClientConnection, websocket_connect

from motionlab.training.hparams_experiment import read_logdir_experiment

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
]
# The page's text, shadow roots included (TensorBoard's plugins are web components).
DEEP_TEXT = """(() => {
  const parts = [];
  const walk = (node) => {
    if (!node) return;
    if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
    if (node.shadowRoot) walk(node.shadowRoot);
    if (node.tagName === 'IFRAME') { try { walk(node.contentDocument); } catch (e) {} }
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return parts.join(' ').replace(/\\s+/g, ' ');
})()"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def start(stack: ExitStack, command: list[str]) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(process.wait, timeout=30)
    stack.callback(process.terminate)
    return process


class Browser:
    """One Chromium page, driven over the DevTools protocol."""

    def __init__(self, websocket: WebSocketClientConnection) -> None:
        self.websocket = websocket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: object) -> dict:
        message_id = next(self.ids)
        await self.websocket.write_message(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.websocket.read_message())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    async def text(self) -> str:
        result = await self.call("Runtime.evaluate", expression=DEEP_TEXT, returnByValue=True)
        return result["result"].get("value") or ""

    async def show(
        self, url: str, ready: Callable[[str], bool], screenshot: Path | None, timeout: float
    ) -> str:
        """Open ``url``; wait until ``ready(page text)`` (or ``timeout``); returns the text."""
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            text = await self.text()
            if ready(text):
                await asyncio.sleep(1.0)  # let charts finish drawing
                text = await self.text()
                break
        if screenshot is not None:
            shot = await self.call("Page.captureScreenshot", format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return text


def check(results: list[tuple[bool, str]], ok: bool, what: str) -> None:
    results.append((ok, what))
    print(f"{'ok  ' if ok else 'FAIL'}  {what}", flush=True)


async def review(args: argparse.Namespace, tensorboard: str, dashboard: str | None, chrome_port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{chrome_port}/json/list") as response:
        page = next(t for t in json.load(response) if t["type"] == "page")
    websocket = await websocket_connect(page["webSocketDebuggerUrl"], max_message_size=256 * 2**20)
    browser = Browser(websocket)
    await browser.call("Page.enable")
    shots = args.screenshots
    results: list[tuple[bool, str]] = []

    def shot(name: str) -> Path | None:
        return None if shots is None else shots / f"{name}.png"

    scalars = await browser.show(
        f"{tensorboard}/#timeseries", lambda t: " val " in f" {t} ", shot("tensorboard-scalars"), args.timeout
    )
    for section in ("train", "val", "test"):
        check(results, f" {section} " in f" {scalars} ", f"Scalars shows the {section} section")
    check(results, "hp/" not in scalars, "Scalars shows no hp/ charts")
    check(results, "/tensorboard" not in scalars, "no run name ends in /tensorboard")

    experiment = read_logdir_experiment(args.logdir)
    metrics = [info.name.tag for info in experiment.metric_infos] if experiment else []
    check(results, bool(metrics), f"{args.logdir} has an HParams experiment record ({len(metrics)} metrics)")
    hparams = await browser.show(
        f"{tensorboard}/#hparams",
        lambda t: all(m in t for m in metrics),
        shot("tensorboard-hparams"),
        args.timeout,
    )
    missing = [m for m in metrics if m not in hparams]
    check(results, not missing, f"HParams has a column for every metric (missing: {missing or 'none'})")

    graphs = await browser.show(
        f"{tensorboard}/#graphs", lambda t: "input" in t, shot("tensorboard-graphs"), args.timeout
    )
    named = " output " not in f" {graphs} " and "output.1" not in graphs
    check(results, named, "Graphs draws the outputs by name, not in an output box")

    if dashboard is not None:
        study = optuna.load_study(study_name=args.study_name, storage=args.study)
        metric = (study.metric_names or ["?"])[0]
        url = f"{dashboard}/dashboard/studies/{study._study_id}"
        page_text = await browser.show(url, lambda t: metric in t, shot("optuna-dashboard"), args.timeout)
        check(results, metric in page_text, f"optuna-dashboard shows the metric name {metric}")
        check(results, "Objective 0" not in page_text, 'optuna-dashboard shows no "Objective 0"')
    websocket.close()
    return all(ok for ok, _ in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", type=Path, default=Path("outputs"))
    parser.add_argument("--study", help="a study's storage URL for optuna-dashboard (optional)")
    parser.add_argument("--study-name", help="the study in --study (default: its only study)")
    parser.add_argument("--screenshots", type=Path, help="a folder for the PNG screenshots")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a page may take")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium on PATH: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    if args.study and not args.study_name:
        args.study_name = optuna.get_all_study_names(args.study)[0]
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="browser-review-") as profile:
        tb_port = free_port()
        tensorboard = f"http://127.0.0.1:{tb_port}"
        start(stack, [sys.executable, "-m", "tensorboard.main", "--logdir", str(args.logdir),
                      "--host", "127.0.0.1", "--port", str(tb_port)])  # fmt: skip
        dashboard = None
        if args.study:
            dash_port = free_port()
            dashboard = f"http://127.0.0.1:{dash_port}"
            dashboard_bin = str(Path(sys.executable).with_name("optuna-dashboard"))
            start(stack, [dashboard_bin, args.study, "--host", "127.0.0.1", "--port", str(dash_port)])
        chrome_port = free_port()
        start(stack, [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                      f"--remote-debugging-port={chrome_port}", "about:blank"])  # fmt: skip
        wait_for_http(f"{tensorboard}/data/runs")
        if dashboard is not None:
            wait_for_http(f"{dashboard}/api/studies")
        wait_for_http(f"http://127.0.0.1:{chrome_port}/json/version")
        passed = asyncio.run(review(args, tensorboard, dashboard, chrome_port))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
