"""CPU accounting from /proc: which process spent the machine's time during a phase.

Throughput on a shared 2-core machine is noisy; CPU milliseconds per request of the app's
workers and of PostgreSQL's backends are much less so, and they say where the time goes.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process (its threads included)."""
    fields = _stat_fields(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def children(parent: int) -> list[int]:
    """Direct children of a process."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    parts = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in parts[:8]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


def backend_pids(conn: psycopg.Connection, database: str) -> list[int]:
    """PostgreSQL client backends connected to the database, except the asking one."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'", (database,)).fetchall()
    return [pid for (pid,) in rows]


@dataclass
class CpuSample:
    app: dict[int, float] = field(default_factory=dict)
    db: dict[int, float] = field(default_factory=dict)
    machine: tuple[float, float] = (0.0, 0.0)


class CpuMeter:
    """Samples the app server's processes, the database backends and the machine."""

    def __init__(self, url: str, database: str, app_root_pid: int | None):
        self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10,
                                     options="-c statement_timeout=30s")
        self.database = database
        self.app_root_pid = app_root_pid

    def sample(self) -> CpuSample:
        sample = CpuSample(machine=machine_cpu())
        if self.app_root_pid is not None:
            for pid in [self.app_root_pid, *children(self.app_root_pid)]:
                cpu = process_cpu(pid)
                if cpu is not None:
                    sample.app[pid] = cpu
        for pid in backend_pids(self.conn, self.database):
            cpu = process_cpu(pid)
            if cpu is not None:
                sample.db[pid] = cpu
        return sample

    @staticmethod
    def delta(start: CpuSample, end: CpuSample, elapsed: float) -> dict:
        """CPU seconds spent between two samples (new processes count from zero)."""
        app = sum(cpu - start.app.get(pid, 0.0) for pid, cpu in end.app.items())
        db = sum(cpu - start.db.get(pid, 0.0) for pid, cpu in end.db.items())
        per_process = sorted((round(cpu - start.app.get(pid, 0.0), 2)
                              for pid, cpu in end.app.items()), reverse=True)
        busy = end.machine[0] - start.machine[0]
        total = end.machine[1] - start.machine[1]
        return {"app_cpu_s": round(app, 3), "app_cpu_s_by_process": per_process,
                "db_cpu_s": round(db, 3),
                "machine_busy_s": round(busy, 3), "machine_capacity_s": round(total, 3),
                "machine_busy_pct": round(100 * busy / total, 1) if total else None,
                "elapsed_s": round(elapsed, 3)}

    def close(self) -> None:
        self.conn.close()


class ActivitySampler:
    """What the database's backends are doing, sampled from pg_stat_activity in a thread.

    'idle in transaction / Client:ClientRead' means a transaction is open and PostgreSQL waits
    for the app; 'active / Lock:transactionid' means waiting for a row locked by another
    transaction (hot product or counter rows); 'active / IO:WALSync' is a commit's flush.
    """

    def __init__(self, url: str, database: str, interval: float = 0.1, max_samples: int = 3000):
        self.url, self.database = url, database
        self.interval, self.max_samples = interval, max_samples
        self.counts: Counter = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-activity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                             options="-c statement_timeout=30s") as conn:
            for _ in range(self.max_samples):
                if self._stop.is_set():
                    break
                rows = conn.execute(
                    "SELECT state, coalesce(wait_event_type || ':' || wait_event, '-')"
                    " FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'", (self.database,)).fetchall()
                self.samples += 1
                for state, wait in rows:
                    self.counts[f"{state} / {wait}"] += 1
                self._stop.wait(self.interval)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(10)
        total = sum(self.counts.values())
        return {"samples": self.samples,
                "backend_states_pct": {k: round(100 * v / total, 1)
                                       for k, v in self.counts.most_common(8)} if total else {}}
