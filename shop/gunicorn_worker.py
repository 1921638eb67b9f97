"""The production web worker: gunicorn's gthread worker, where a new connection goes to a
worker holding the fewest connections.

Every gthread worker of a gunicorn listens on the same socket, and whichever wakes first
accepts; a kept-alive connection then stays with that worker for good. Under load the
connections end up unevenly spread, and the shoppers of the crowded worker wait longest: at
32 clients on 4 x 2 threads the JSON checkout's p99 was 309 ms with gunicorn's worker and
237-254 ms with this one, at the same rate (bench/README.md, fifth sitting). Here the
workers publish how many connections each holds in a table shared by every worker of the
server (memory mapped by the master before it forks them), and a worker listens only while
it holds no more than the fewest of them: the next connection goes to one of the least
loaded, as a proxy's least-connections balancing does (a worker woken for a connection looks
at the others' counts again before it takes it). One of them always listens, so no
connection waits for another reason than a busy server; one not listening looks again every
LOOK_AGAIN seconds.

(Taking a connection only while a thread is free is not enough: under a steady load no
worker's threads are ever all free at the moment it looks, and new connections starved in
the listen backlog for the whole run.)
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import struct

from gunicorn.workers.gthread import ThreadWorker

#: Workers one server can have at once (more get no slot and simply always listen).
SLOTS = 128
#: How often a worker that does not listen looks again whether it now has the fewest.
LOOK_AGAIN = 0.05
_SLOT = struct.Struct("qq")  # the worker's pid (0: free), its connections
# Made when the master imports this module to start its workers, inherited by each (fork).
_TABLE = mmap.mmap(-1, SLOTS * _SLOT.size)
_CLAIM = multiprocessing.Lock()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_slot(pid: int) -> int | None:
    """A free slot of the table for this worker (or one of a worker that died), or None."""
    with _CLAIM:
        for slot in range(SLOTS):
            owner, _count = _SLOT.unpack_from(_TABLE, slot * _SLOT.size)
            if owner == 0 or owner == pid or not _alive(owner):
                _SLOT.pack_into(_TABLE, slot * _SLOT.size, pid, 0)
                return slot
    return None


def release_slot(slot: int, pid: int) -> None:
    with _CLAIM:
        if _SLOT.unpack_from(_TABLE, slot * _SLOT.size)[0] == pid:
            _SLOT.pack_into(_TABLE, slot * _SLOT.size, 0, 0)


def fewer_elsewhere(own: int, count: int) -> bool:
    """Whether another live worker holds fewer than `count` connections."""
    for slot in range(SLOTS):
        pid, theirs = _SLOT.unpack_from(_TABLE, slot * _SLOT.size)
        if pid and theirs < count and slot != own:
            if _alive(pid):
                return True
            release_slot(slot, pid)  # died without giving its slot back
    return False


class BalancedThreadWorker(ThreadWorker):
    """`gunicorn -k shop.gunicorn_worker.BalancedThreadWorker --threads N`."""

    slot: int | None = None

    def run(self):
        # In the table only from now on, with the app loaded: a worker still starting up
        # must not be counted as the one with the fewest, which nobody else would then be.
        self.slot = claim_slot(os.getpid())
        try:
            super().run()
        finally:
            self._leave_table()

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self._has_fewest())

    def accept(self, listener):
        # Every listening worker wakes for a new connection: looked at again now, with the
        # others' latest counts, so that it is taken by one that has the fewest.
        if self._has_fewest():
            super().accept(listener)
        else:
            super().set_accept_enabled(False)

    def wait_for_and_dispatch_events(self, timeout):
        # Each turn of gunicorn's loop: publish this worker's count, listen or not.
        if self.slot is not None and not self.alive:
            self._leave_table()  # stopping: the others take the new connections
        if self.slot is not None:
            _SLOT.pack_into(_TABLE, self.slot * _SLOT.size, os.getpid(), self.nr_conns)
            self.set_accept_enabled(self.nr_conns < self.worker_connections)
            if not self._accepting:
                timeout = min(timeout, LOOK_AGAIN)
        super().wait_for_and_dispatch_events(timeout)

    def _has_fewest(self) -> bool:
        return self.slot is None or not fewer_elsewhere(self.slot, self.nr_conns)

    def _leave_table(self) -> None:
        if self.slot is not None:
            release_slot(self.slot, os.getpid())
            self.slot = None
