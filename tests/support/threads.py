"""Racing threads: the tests that check two writers (connections, pools, machines) at once."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(work: Callable[[int], object], count: int) -> list[BaseException]:
    """Run ``work(0)`` .. ``work(count - 1)`` in ``count`` threads released together (a barrier)
    and wait for them all; what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # reported to the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
