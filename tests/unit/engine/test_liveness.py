"""Owner ids and presumed-dead holders."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from leadflow.engine.liveness import StaleLeases, is_dead, owner_id, pid_space
from leadflow.model.records import HeldLease


def _owner_of(pid: int) -> str:
    return f"host:{pid}:{pid_space()}:abcd1234"


def test_owner_id_names_host_pid_and_space() -> None:
    parts = owner_id().split(":")
    assert parts[-3] == str(os.getpid()) and parts[-2] == pid_space()
    assert owner_id() != owner_id()  # a new nonce each time


@pytest.mark.subprocess
def test_a_finished_process_is_dead_a_running_one_is_not() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not is_dead(_owner_of(proc.pid))
        proc.kill()
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
        assert is_dead(_owner_of(proc.pid))
        proc.wait()
        assert is_dead(_owner_of(proc.pid))  # gone altogether
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_unknown_formats_other_spaces_and_this_process_are_alive() -> None:
    assert not is_dead("w1")
    assert not is_dead("host:notapid:space:nonce")
    assert not is_dead(f"host:{os.getpid()}:{pid_space()}:x")
    assert not is_dead("host:999999999:another-space:x")  # another machine: unknown, not dead


def test_stale_leases_need_takeover_seconds_of_silence() -> None:
    t = [0.0]
    stale = StaleLeases(30.0, lambda: t[0])
    quiet = HeldLease("quiet", "messages", 2, 10.0, 10.0)
    busy = HeldLease("busy", "runs", 1, 5.0, 5.0)
    assert stale.stale([quiet, busy]) == []
    t[0] = 29.0
    busy = HeldLease("busy", "runs", 3, 6.0, 8.0)  # it moved: its timer starts again
    assert stale.stale([quiet, busy]) == []
    t[0] = 30.0
    assert stale.stale([quiet, busy]) == ["quiet"]
    t[0] = 58.0
    assert stale.stale([busy]) == []
    t[0] = 59.0
    assert stale.stale([busy]) == ["busy"]
    # a holder that went away and came back starts from zero
    t[0] = 60.0
    assert stale.stale([quiet]) == []
