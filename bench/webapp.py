"""Web app figures, measured in Debian's Chromium against the real ``leadflow serve`` on loopback.

    python bench/webapp.py [--nodes 300] [--repeats 5] [--json]

1. **bundle**: the size of the committed bundle (``src/leadflow/webui/assets``), raw and gzipped
   (level 9, as a server or proxy would send it).
2. **first render**: a signed-in page reloaded until the designer's palette is on screen,
   from the navigation's start (``performance.now()`` in the page); the median of the repeats.
3. **auto-layout**: a workflow of ``--nodes`` nodes (a chain with a branch every 10th node)
   imported from YAML, then "Auto-layout" clicked: from the click to the second animation
   frame after it (dagre, the store and React's render); the median of the repeats.
4. **drag**: one node of that workflow dragged across the canvas in 120 mouse steps; for each
   step, the main-thread time from the mouse event to the new positions committed by React
   with style and layout done (paint excluded): what a frame must fit in 16 ms; median and
   95th percentile.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from leadflow.store.factory import open_store
from leadflow.tenancy import accounts

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "src" / "leadflow" / "webui" / "assets"
CHROMIUM = os.environ.get("LEADFLOW_CHROMIUM", "/usr/bin/chromium")
CONSOLE = Path(sys.executable).with_name("leadflow")


def bundle_sizes() -> dict[str, Any]:
    files = {p.name: p.read_bytes() for p in sorted(BUNDLE.iterdir())}
    raw = sum(len(b) for b in files.values())
    gz = sum(len(gzip.compress(b, 9)) for b in files.values())
    return {"files": sorted(files), "raw_kB": round(raw / 1000, 1), "gzip_kB": round(gz / 1000, 1)}


def big_workflow(n: int) -> dict[str, Any]:
    """A chain of ``n`` nodes; every 10th is a branch whose default skips the next node."""
    nodes: list[dict[str, Any]] = []
    for i in range(n):
        nid, nxt = f"n{i}", (f"n{i + 1}" if i + 1 < n else None)
        if i % 10 == 9 and i + 2 < n:
            when = {"field": "contact.stage", "op": "eq", "value": "hot"}
            nodes.append(
                {"id": nid, "kind": "branch", "cases": [{"when": when, "next": nxt}]}
                | {"default": f"n{i + 2}"}
            )
        else:
            edge = {"next": nxt} if nxt else {}
            body = f"Step {i}, {{{{ contact.first_name }}}}"
            if i % 3 == 0:
                nodes.append({"id": nid, "kind": "send_sms", "body": body} | edge)
            else:
                nodes.append({"id": nid, "kind": "wait", "duration": "1h"} | edge)
    return {"key": "big", "name": "Big", "triggers": [], "start": "n0", "nodes": nodes}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def measure(nodes: int, repeats: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="leadflow-webbench-"))
    url_db = f"sqlite:///{work / 'web.db'}"
    store = open_store(url_db, check_schema=False)
    try:
        store.upgrade()
        accounts.create_tenant(store, "bench", "Bench", 0.0)
        _, token = accounts.create_key(store, "bench", "admin", 0.0)
    finally:
        store.close()
    wf_file = work / "big.yaml"
    wf_file.write_text(yaml.safe_dump(big_workflow(nodes), sort_keys=False))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    server = subprocess.Popen(
        [str(CONSOLE), "serve", "--db", url_db, "--port", str(port), "--no-worker"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("leadflow serve did not come up")
            time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800}, base_url=base)
            page.set_default_timeout(60_000)
            page.goto("/")
            page.get_by_label("API key").fill(token)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_test_id("palette-goal").wait_for()
            first: list[float] = []
            for _ in range(repeats):
                page.reload()
                page.get_by_test_id("palette-goal").wait_for()
                first.append(page.evaluate("() => performance.now()"))
            page.get_by_test_id("import-file").set_input_files(str(wf_file))
            page.get_by_test_id("notice").filter(has_text=f"{nodes} nodes").wait_for()
            layouts: list[float] = []
            for _ in range(repeats):
                layouts.append(
                    page.evaluate(
                        """() => new Promise(done => {
                          const button = [...document.querySelectorAll('button')]
                            .find(b => b.textContent === 'Auto-layout');
                          const t0 = performance.now();
                          button.click();
                          requestAnimationFrame(() => requestAnimationFrame(
                            () => done(performance.now() - t0)));
                        })"""
                    )
                )
            page.locator(".react-flow__controls-fitview").click()
            page.wait_for_timeout(800)  # the fit-view animation ends
            visible = page.evaluate(
                """() => { const c = document.querySelector('.react-flow').getBoundingClientRect();
                  const n = [...document.querySelectorAll('.react-flow__node')].find(e => {
                    const r = e.getBoundingClientRect();
                    return r.top > c.top + 50 && r.bottom < c.top + c.height / 2; });
                  return n.dataset.id; }"""
            )
            target = page.locator(f'.react-flow__node[data-id="{visible}"]')
            box = target.bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 1, y + 1)  # the drag has started: its listeners are in place
            # For each pointer move: the time from its dispatch (a capturing listener, first to
            # run) to the end of the work it causes. After the dispatch (a microtask), a
            # message is posted: it queues behind React's render task, so when it arrives the
            # new positions are committed; reading offsetHeight then adds style and layout.
            page.evaluate(
                """() => { window.__work = [];
                  window.addEventListener('pointermove', () => {
                    const t0 = performance.now();
                    queueMicrotask(() => { const ch = new MessageChannel();
                      ch.port1.onmessage = () => { void document.body.offsetHeight;
                        window.__work.push(performance.now() - t0); };
                      ch.port2.postMessage(0); });
                  }, { capture: true }); }"""
            )
            for step in range(120):
                page.mouse.move(x + 2 * step, y + step)
            frames: list[float] = page.evaluate("() => window.__work")
            page.mouse.up()
            moved = target.bounding_box()
            assert moved is not None and moved["y"] > box["y"] + 50, (box, moved)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    frames.sort()
    return {
        "first_render_ms": round(statistics.median(first), 1),
        "auto_layout_ms": round(statistics.median(layouts), 1),
        "auto_layout_runs_ms": [round(v, 1) for v in layouts],
        "drag_frames": len(frames),
        "drag_frame_median_ms": round(statistics.median(frames), 2),
        "drag_frame_p95_ms": round(frames[int(len(frames) * 0.95)], 2),
        "drag_frame_max_ms": round(frames[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {
        "bundle": bundle_sizes(),
        "nodes": args.nodes,
        **measure(args.nodes, args.repeats),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
