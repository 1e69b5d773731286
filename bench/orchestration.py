"""Throughput of AI task orchestration on SQLite: tasks claimed, run and stored per second by
workers' orchestration jobs (threads of one process sharing the database, as processes would).

    python bench/orchestration.py [--tasks 2000] [--workers 1] [--model-delay 0.0] [--json]

Without ``--model-delay`` the tasks are ``classify`` tasks run by the local classifier (the
cost is the claims, the stored outcomes and the dependency bookkeeping); with it they call a
loopback OpenAI-compatible server (``tests/support/llm_peer.py``) answering after that many
seconds, under the per-server limit (``--per-server``, default 8).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from leadflow.access import orchestration as service  # noqa: E402
from leadflow.access.scope import operator  # noqa: E402
from leadflow.ai.orchestration.runner import OrchestrationJob  # noqa: E402
from leadflow.runtime import build_runtime  # noqa: E402
from leadflow.settings import Settings  # noqa: E402
from leadflow.store import open_store  # noqa: E402
from leadflow.tenancy import accounts  # noqa: E402
from support.llm_peer import API_KEY, Reply, running_llm_peer  # noqa: E402
from support.stores import upgraded_db  # noqa: E402

ANSWER = json.dumps({"items": [{"intent": "question", "confidence": 0.7}]})


def batch(n: int) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = []
    for i in range(n):
        task: dict[str, Any] = {
            "id": f"t{i}",
            "kind": "classify",
            "input": {"texts": [f"reply #{i}: is it still available?"]},
        }
        if i % 10 == 9:
            task["depends_on"] = [f"t{i - 1}"]
        tasks.append(task)
    return {"label": "bench", "tasks": tasks}


def measure(args: argparse.Namespace, base_url: str | None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="orch-bench-"))
    url = upgraded_db(folder / "bench.db")
    store = open_store(url)
    accounts.create_tenant(store, "acme", "Acme", 0.0)
    store.close()
    extra: dict[str, Any] = {}
    if base_url:
        extra = {"llm_base_url": base_url, "llm_api_key": API_KEY, "llm_cache_ttl_s": 0}
    settings = Settings(
        db=url,
        orchestrate_batch=args.batch,
        orchestrate_per_tenant=256,
        orchestrate_per_server=args.per_server,
        **extra,
    )
    runtimes = [build_runtime(settings) for _ in range(args.workers)]
    total = 0
    for start in range(0, args.tasks, 1000):
        part = batch(min(1000, args.tasks - start))
        for t in part["tasks"]:
            t["id"] = f"{start}-{t['id']}"
            t["depends_on"] = [f"{start}-{d}" for d in t.get("depends_on", [])]
        service.submit(runtimes[0], operator("acme"), part, runtimes[0].clock.now())
        total += len(part["tasks"])
    done = [0] * args.workers

    def work(i: int) -> None:
        rt = runtimes[i]
        (job,) = [j for j in rt.engine.registry.jobs if isinstance(j, OrchestrationJob)]
        idle = 0
        while idle < 3:
            n = job.run(rt.clock.now())
            done[i] += n
            idle = idle + 1 if n == 0 else 0

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for rt in runtimes:
        rt.close()
    return {
        "tasks": total,
        "finished": sum(done),
        "workers": args.workers,
        "batch": args.batch,
        "model_delay_s": args.model_delay if base_url else None,
        "per_server": args.per_server if base_url else None,
        "seconds": round(elapsed, 2),
        "tasks_per_s": round(sum(done) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--per-server", type=int, default=8)
    parser.add_argument("--model-delay", type=float, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.model_delay is None:
        out = measure(args, None)
    else:
        with running_llm_peer([Reply(content=ANSWER, delay_s=args.model_delay)]) as peer:
            out = measure(args, peer.base_url)
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
