"""Who holds work, and whether they are still alive.

A worker's owner id is ``host:pid:space:nonce``. ``space`` names the process-id space the pid
belongs to (this boot of this machine, and the pid namespace: two containers on one host have
different spaces), so another worker can tell for sure that a holder in *its own* space has died
(the pid is gone, or is a zombie) and release its leases at once instead of waiting for them to
expire. A holder in another space (another host) is never declared dead this way; leases (real
clock) or :class:`StaleLeases` (virtual clock) cover it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from leadflow.model.records import HeldLease


@cache
def pid_space() -> str:
    """This process's pid space: a hash of the boot id and the pid namespace (Linux), or a
    random token elsewhere (then no other process ever shares it: nothing is declared dead)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return "r" + uuid.uuid4().hex[:11]
    return hashlib.sha256(f"{boot}|{namespace}".encode()).hexdigest()[:12]


def owner_id() -> str:
    """A new owner id for a worker in this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{pid_space()}:{uuid.uuid4().hex[:8]}"


def is_dead(owner: str) -> bool:
    """True only when ``owner`` is a worker id from this pid space whose process is gone (or a
    zombie). Unknown formats, other spaces and this very process count as alive."""
    parts = owner.split(":")
    if len(parts) < 4 or parts[-2] != pid_space():
        return False
    try:
        pid = int(parts[-3])
    except ValueError:
        return False
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return _signal_says_dead(pid)
    # "pid (comm) S ...": the state follows the last ')' (comm may hold spaces and parens)
    state = stat[stat.rfind(")") + 2 : stat.rfind(")") + 3]
    return state in ("Z", "X")


def _signal_says_dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class StaleLeases:
    """Finds holders presumed dead because their leases have not changed for ``takeover_s``
    seconds of wall time (a live worker commits, renews or claims long before that). Used by
    virtual-clock workers, whose leases never expire in virtual time. ``wall`` is a monotonic
    wall clock: this measures how long a process has been silent, not the engine's time."""

    def __init__(self, takeover_s: float, wall: Callable[[], float]) -> None:
        self.takeover_s = takeover_s
        self.wall = wall
        self._seen: dict[str, tuple[tuple[tuple[str, int, float, float], ...], float]] = {}

    def stale(self, held: Sequence[HeldLease]) -> list[str]:
        now = self.wall()
        marks: dict[str, list[tuple[str, int, float, float]]] = {}
        for h in held:
            marks.setdefault(h.owner, []).append((h.queue, h.count, h.min_until, h.max_until))
        out: list[str] = []
        for owner, mark in marks.items():
            key = tuple(mark)
            seen = self._seen.get(owner)
            if seen is None or seen[0] != key:
                self._seen[owner] = (key, now)
            elif now - seen[1] >= self.takeover_s:
                out.append(owner)
        for owner in list(self._seen):
            if owner not in marks:
                del self._seen[owner]
        return out


__all__ = ["StaleLeases", "is_dead", "owner_id", "pid_space"]
