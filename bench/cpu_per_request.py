"""What one request of each hot-path kind costs the app, in figures that do not move with the
machine's load (issue 16, item 3): instructions counted by callgrind and CPU time per request,
for the working tree or, with `--against`, for an older commit and the working tree side by side.

    python bench/cpu_per_request.py                       # the working tree
    python bench/cpu_per_request.py --against 472eb24     # that commit, then the working tree
    python bench/cpu_per_request.py --no-instructions     # CPU time only (~1 min)

The app runs in-process (`wsgi:app`) on PostgreSQL; requests are built with Flask's
EnvironBuilder and handed to the WSGI app as a server would. Each kind is warmed up, then
measured: (a) under `valgrind --tool=callgrind`, instructions of each of `--requests`
requests, collection switched on and off around the WSGI call by client requests from
Python; (b) without valgrind, `time.process_time()` around each of `--cpu-requests`
requests and the PostgreSQL backends' CPU from /proc, best of `--rounds` rounds (with
`--against` the two sides take turns). Before each measured request a `gc.collect()`, so
every request starts with the same collector state. SQL statements are counted last.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import mmap
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

STARTED = time.monotonic()
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_cpu"
BEFORE_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_cpu_before"
#: Databases of the other benchmarks: never rebuilt by this one.
OTHERS = {"shop_bench", "shop_bench_store", "shop_bench_path", "shop_bench_pgbench"}
SLUG = "burgerchina"
#: Fixed, so that cookies and tokens have the same size on both sides and in every run.
SECRET_KEY = "bench-cpu-per-request"  # noqa: S105 (a bench database's sessions)
KINDS = ("store page, cached", "store page, first render", "cart add", "store page after add",
         "checkout page", "checkout POST (HTML)", "checkout POST (JSON)", "tracking page",
         "tracking page, thanks", "tracking page, thanks again", "tracking page, QRIS first render")
#: The shopper's whole path of shopper_path.py (kind: requests per order), summed in the
#: report when every one of its kinds was measured.
PATH = {"store page, cached": 1, "cart add": 2, "store page after add": 2, "checkout page": 1,
        "checkout POST (HTML)": 1, "tracking page, thanks": 1}
#: The cart of the checkout kinds; cart add adds BENCH-C to an empty cart.
CART = (("BENCH-A", 1), ("BENCH-B", 2))
JSON_LINES = [{"code": "BENCH-A", "qty": 1}, {"code": "BENCH-B", "qty": 2},
              {"code": "BENCH-C", "qty": 3}]
#: Statements that only open, end or nest transactions (sqlcount.py counts them apart too).
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


# --------------------------------------------------------------------------- worker side
# Runs in a process of its own, with the tree under test first on PYTHONPATH; it imports
# nothing of this repository's bench folder but procstats (psycopg only), so that the
# "before" side never sees today's `shop`.


class Callgrind:
    """Valgrind's client requests (valgrind.h, amd64) from Python: nine instructions in an
    executable page, called through ctypes. Outside valgrind they answer the default, 0."""

    CODE = bytes.fromhex(
        "4889f8"  # mov rax, rdi: the address of the request's six words
        "4889f2"  # mov rdx, rsi: the default answer
        "48c1c703" "48c1c70d" "48c1c73d" "48c1c733"  # rol rdi by 3, 13, 61, 51: the preamble
        "4887db"  # xchg rbx, rbx: the request itself; valgrind answers in rdx
        "4889d0"  # mov rax, rdx
        "c3")  # ret
    RUNNING_ON_VALGRIND = 0x1001
    _BASE = 0x43540000  # VG_USERREQ_TOOL_BASE('C', 'T') of callgrind.h
    TOGGLE_COLLECT, DUMP_STATS_AT = _BASE + 2, _BASE + 3
    START_INSTRUMENTATION, STOP_INSTRUMENTATION = _BASE + 4, _BASE + 5

    def __init__(self):
        if platform.machine() not in ("x86_64", "AMD64"):
            raise SystemExit("instruction counts need x86-64 (valgrind's client requests)")
        self._page = mmap.mmap(-1, mmap.PAGESIZE,
                               prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        self._page.write(self.CODE)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        self._call = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64)(address)
        self._args = (ctypes.c_uint64 * 6)()
        self._labels: list = []

    def request(self, code: int, arg: int = 0) -> int:
        self._args[0], self._args[1] = code, arg
        return self._call(ctypes.addressof(self._args), 0)

    def dump(self, label: str) -> None:
        """Write the counts since the last dump to callgrind.out.<n>, described by label."""
        text = ctypes.create_string_buffer(label.encode())
        self._labels.append(text)
        self.request(self.DUMP_STATS_AT, ctypes.addressof(text))


def call_app(app, environ: dict) -> tuple[int, list, bytes]:
    """One request through the WSGI interface, as a server makes it: status, headers, body."""
    seen = []

    def start_response(status, headers, exc_info=None):
        seen.append((status, headers))
        return lambda data: None

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return int(seen[-1][0].split()[0]), seen[-1][1], data


@dataclass
class Built:
    """A request ready to be sent, and what its answer must be."""

    environ: dict
    status: int
    needle: bytes  # in the body, or in the Location of a redirect


class Shopper:
    """The requests of each kind. Set up with the test client: a session with a CSRF token and
    an empty cart, one with the two-line cart, and an order to track. Every request of a kind
    carries the same cookie; only its phone number and idempotency key are new."""

    def __init__(self, app, block: int):
        self.app, self.block, self.seq = app, block, 0
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        client = app.test_client()
        html = self._expect(client.get(f"/store/{SLUG}", headers=HTML), 200).get_data(True)
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        self.browse = client.get_cookie(self.cookie_name).value
        for code, qty in CART:
            self._expect(client.post(f"/store/{SLUG}/cart", headers=HTML, data=self._cart_form(
                code, qty)), 303)
        self.flashed = client.get_cookie(self.cookie_name).value  # the cart and its flashes
        self._expect(client.get(f"/store/{SLUG}", headers=HTML), 200)  # shows the flashes
        self.cart = client.get_cookie(self.cookie_name).value
        page = self._expect(client.get(f"/store/{SLUG}/checkout", headers=HTML), 200)
        select = page.get_data(True).split('id="province"', 1)[1]
        self.province = re.search(r'<option[^>]* value="([^"]+)"', select).group(1)
        # The order this browser places through the form: its tracking page thanks the
        # shopper (rendered for them alone, every time), as the path's last page.
        form = self._checkout_form(f"0814{block:02d}999999", f"bench-cpu-{block:02d}-thanks")
        placed = self._expect(client.post(f"/store/{SLUG}/checkout", headers=HTML, data=form),
                              303)
        self.thanks_path = urlsplit(placed.headers["Location"]).path
        self.placed = client.get_cookie(self.cookie_name).value
        placed = self._expect(client.post("/api/orders/create-from-checkout",
                                          json=self._json_body(f"0812{block:02d}999999")), 201)
        self.order_id = placed.get_json()["order"]["id"]
        self.order_number = placed.get_json()["order"]["number"].encode()
        # An order paid by QRIS: its page draws the QR code (the demo store has a QRIS).
        placed = self._expect(client.post("/api/orders/create-from-checkout", json={
            **self._json_body(f"0813{block:02d}999999"), "payment_method": "qris"}), 201)
        self.qris_order_id = placed.get_json()["order"]["id"]

    @staticmethod
    def _expect(response, status: int):
        if response.status_code != status:
            raise SystemExit(f"set-up: {response.request.path} answered {response.status_code}"
                             f", not {status}: {response.get_data(True)[:300]}")
        return response

    def _cart_form(self, code: str, qty: int) -> dict:
        return {"csrf_token": self.token, "code": code, "qty": str(qty), "action": "add",
                "next": f"/store/{SLUG}"}

    @staticmethod
    def _json_body(phone: str) -> dict:
        return {"store": SLUG, "name": f"Pembeli {phone[-4:]}", "phone": phone,
                "address": "Jl. Sudirman No. 123, Jakarta Pusat", "courier": "JNE Regular",
                "payment_method": "bank_transfer", "email": f"pembeli{phone[-6:]}@example.com",
                "items": JSON_LINES}

    def _next(self) -> tuple[str, str]:
        """A phone number no customer has yet, and an idempotency key no order has."""
        self.seq += 1
        return f"0812{self.block:02d}{self.seq:06d}", f"bench-cpu-{self.block:02d}-{self.seq:08d}"

    def _environ(self, method: str, path: str, cookie: str | None = None, **body) -> dict:
        from flask.testing import EnvironBuilder

        headers = {"Accept": "application/json"} if "json" in body else dict(HTML)
        if cookie:
            headers["Cookie"] = f"{self.cookie_name}={cookie}"
        builder = EnvironBuilder(self.app, path=path, method=method, headers=headers,
                                 environ_base={"REMOTE_ADDR": "127.0.0.1",
                                               "HTTP_USER_AGENT": "bench/cpu_per_request"},
                                 **body)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def build(self, kind: str) -> Built:
        """The next request of this kind (for a first render, the render caches emptied)."""
        store = f"/store/{SLUG}"
        if kind == "store page, first render":
            drop_process_caches(self.app)
        if kind.startswith("store page"):
            return Built(self._environ("GET", store, self.browse), 200, b'data-code="BENCH-A"')
        if kind == "cart add":
            return Built(self._environ("POST", f"{store}/cart", self.browse,
                                       data=self._cart_form("BENCH-C", 1)), 303, store.encode())
        if kind == "store page after add":
            return Built(self._environ("GET", store, self.flashed), 200, b'class="flash')
        if kind == "checkout page":
            return Built(self._environ("GET", f"{store}/checkout", self.cart), 200, b"BENCH-B")
        if kind == "tracking page":
            return Built(self._environ("GET", f"/track/{self.order_id}"), 200, self.order_number)
        if kind == "tracking page, thanks":  # as on the path: the order's first page
            drop_process_caches(self.app, "shop_tracking")
        if kind.startswith("tracking page, thanks"):
            return Built(self._environ("GET", self.thanks_path, self.placed), 200,
                         b'id="thanks"')
        if kind == "tracking page, QRIS first render":
            drop_process_caches(self.app)
            return Built(self._environ("GET", f"/track/{self.qris_order_id}"), 200,
                         b'aria-label="QRIS"')
        phone, key = self._next()
        if kind == "checkout POST (JSON)":
            return Built(self._environ("POST", "/api/orders/create-from-checkout",
                                       json=self._json_body(phone)), 201, b'"number"')
        return Built(self._environ("POST", f"{store}/checkout", self.cart,
                                   data=self._checkout_form(phone, key)), 303, b"/track/")

    def _checkout_form(self, phone: str, key: str) -> dict:
        return {"csrf_token": self.token, "idempotency_key": key,
                "name": f"Pembeli {phone[-4:]}", "phone": phone,
                "address": "Jl. Sudirman No. 123, RT 01/RW 02", "district": "Tanah Abang",
                "city": "Jakarta Pusat", "province": self.province, "postal_code": "10250",
                "email": f"pembeli{phone[-6:]}@example.com", "courier": "JNE Regular",
                "payment_method": "bank_transfer", "notes": ""}

    @staticmethod
    def check(kind: str, built: Built, answer: tuple[int, list, bytes]) -> None:
        status, headers, body = answer
        where = body if status != 303 else dict(headers).get("Location", "").encode()
        if status != built.status or built.needle not in where:
            raise SystemExit(f"{kind}: answered {status} (expected {built.status} with "
                             f"{built.needle!r}): {body[:300]!r}")

    def send(self, kind: str) -> None:
        """One request of this kind, checked (warm-up, SQL count)."""
        built = self.build(kind)
        self.check(kind, built, call_app(self.app, built.environ))


def drop_process_caches(app, prefix: str = "shop_") -> None:
    """Forget what the app keeps per process for every shopper (rendered pages and cards, the
    cart's prices: app.extensions' shop_* with entries), as after a catalog change, or only
    the caches whose name starts with `prefix`; compiled templates and SQL stay."""
    for name, value in list(app.extensions.items()):
        if name.startswith(prefix) and isinstance(getattr(value, "entries", None), dict):
            del app.extensions[name]


def backend_cpu(monitor, database: str) -> dict[int, int]:
    """On-CPU nanoseconds of the database's client backends (/proc/<pid>/schedstat)."""
    import procstats

    found = {}
    for pid in procstats.backend_pids(monitor, database):
        try:
            found[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return found


def note(text: str) -> None:
    """A timestamped line in the worker's log."""
    print(f"{time.monotonic() - STARTED:7.1f} s  {text}", file=sys.stderr, flush=True)


def settle() -> None:
    """Collect, and move what survives out of the collector's sight: each measured request
    then starts with the same generations, so its collections fall on the same allocations."""
    gc.collect()
    gc.freeze()


def measure_instructions(shopper: Shopper, kinds, n: int, warmup: int) -> list[list]:
    """Per kind: warm up uninstrumented, then n requests, each in its own callgrind dump.
    Returns [label, kind, i] of each dump in order; "idle" dumps measure the toggles alone."""
    vg = Callgrind()
    if not vg.request(vg.RUNNING_ON_VALGRIND):
        raise SystemExit("--worker instructions must run under valgrind --tool=callgrind")
    dumps = []
    for kind in ("idle", *kinds):
        note(f"warm-up: {kind}")
        for _ in range(warmup if kind != "idle" else 0):
            shopper.send(kind)
        note(f"measure: {kind}")
        settle()
        vg.request(vg.START_INSTRUMENTATION)
        for i in range(n):
            built = shopper.build(kind) if kind != "idle" else None
            gc.collect()
            vg.request(vg.TOGGLE_COLLECT)
            answer = call_app(shopper.app, built.environ) if built else None
            vg.request(vg.TOGGLE_COLLECT)
            label = f"{len(dumps)}"
            vg.dump(label)
            dumps.append([label, kind, i])
            if built:
                shopper.check(kind, built, answer)
        vg.request(vg.STOP_INSTRUMENTATION)
    return dumps


def measure_cpu(shopper: Shopper, kinds, n: int, warmup: int, monitor, database: str) -> dict:
    """Per kind: warm up, then n requests; app CPU (process_time) summed around the WSGI
    calls (mean and median), the backends' CPU over the batch. Milliseconds per request."""
    result = {}
    for kind in kinds:
        for _ in range(warmup):
            shopper.send(kind)
        settle()
        spent = []
        before = backend_cpu(monitor, database)
        for _ in range(n):
            built = shopper.build(kind)
            gc.collect()
            started = time.process_time()
            answer = call_app(shopper.app, built.environ)
            spent.append(time.process_time() - started)
            shopper.check(kind, built, answer)
        after = backend_cpu(monitor, database)
        db_ns = sum(ns - before.get(pid, 0) for pid, ns in after.items())
        result[kind] = {"app_ms": 1000 * sum(spent) / n,
                        "app_median_ms": 1000 * statistics.median(spent),
                        "db_ms": db_ns / 1e6 / n, "backends": len(after)}
    return result


def count_sql(shopper: Shopper, kinds) -> dict:
    """Statements of one request of each kind (after the measurements: listeners cost)."""
    from sqlalchemy import event

    from shop.extensions import db

    with shopper.app.app_context():
        engine = db.engine
    seen: list[tuple[str, int]] = []  # (statement's start, rows) or ("BEGIN"..., 0)

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append((" ".join(statement.split())[:90], len(parameters) if executemany else 1))

    listeners = [(engine, "before_cursor_execute", on_execute)]
    for name, label in (("begin", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK")):
        listeners.append((engine, name, lambda *a, _label=label: seen.append((_label, 0))))
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    result = {}
    try:
        for kind in kinds:
            seen.clear()
            shopper.send(kind)
            control = [s for s, _ in seen if s.startswith(CONTROL)]
            statements = [(s, rows) for s, rows in seen if not s.startswith(CONTROL)]
            result[kind] = {"statements": len(statements),
                            "server_executions": sum(rows for _, rows in statements),
                            "transaction_control": len(control),
                            "sequence": [s for s, _ in seen]}
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
    return result


def worker(args) -> None:
    """The measured process: answers on the original stdout, the app's output on stderr."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    tree = Path(os.environ["BENCH_TREE"]).resolve()
    import shop
    from wsgi import app

    if not Path(shop.__file__).resolve().is_relative_to(tree):
        raise SystemExit(f"imported {shop.__file__}, not the tree under test {tree}")
    note("app built")
    shopper = Shopper(app, args.block)
    note("shopper set up")
    kinds = [kind for kind in KINDS if kind in args.kinds.split("|")]
    info = {"shop": shop.__file__, "python": sys.version.split()[0]}
    if args.worker == "instructions":
        dumps = measure_instructions(shopper, kinds, args.requests, args.warmup)
        print(json.dumps({"dumps": dumps, "sql": count_sql(shopper, kinds), "info": info}),
              file=out)
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as monitor:
        print(json.dumps({"ready": True, "info": info}), file=out)
        for line in sys.stdin:
            if line.strip() == "round":
                result = measure_cpu(shopper, kinds, args.cpu_requests, args.warmup, monitor,
                                     urlsplit(url).path.lstrip("/"))
                print(json.dumps({"round": result}), file=out)
            elif line.strip() == "sql":
                print(json.dumps({"sql": count_sql(shopper, kinds)}), file=out)
            else:
                break


# --------------------------------------------------------------------------- orchestrator


@dataclass
class Side:
    """One version of the code: its tree, its database, its results."""

    name: str  # "before" or "after"
    label: str  # the commit, or "working tree"
    tree: Path
    url: str
    dir: Path
    env: dict = field(default_factory=dict)
    fingerprint: dict = field(default_factory=dict)


def check_database(url: str) -> None:
    """Only a database of this benchmark; created when missing."""
    import benchdb

    benchdb.refuse_unless_bench(url)
    name = benchdb.database_name(url)
    if name in OTHERS:
        raise SystemExit(f"{name} belongs to another benchmark; use e.g. shop_bench_cpu")
    admin = urlsplit(benchdb.plain_url(url))._replace(path="/postgres").geturl()
    with benchdb.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def export_tree(commit: str, target: Path) -> tuple[Path, str]:
    """The project as of `commit`, unpacked from git (the repository is only read)."""
    sha = subprocess.run(["git", "rev-parse", "--short", f"{commit}^{{commit}}"], cwd=ROOT,
                         check=True, capture_output=True, text=True, timeout=30).stdout.strip()
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True,
                             capture_output=True, timeout=120).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True, timeout=120)
    return target, sha


def prepare(side: Side, redis_url: str) -> None:
    """Rebuild the side's database with its own migrations and seed-demo, plus the bench
    products (benchdb.prepare, its flask commands run in the side's tree)."""
    import benchdb

    check_database(side.url)
    side.env = benchdb.app_env(
        side.url, SECRET_KEY=SECRET_KEY, PYTHONPATH=str(side.tree), BENCH_TREE=str(side.tree),
        PYTHONHASHSEED="0", REDIS_URL=redis_url, UPLOAD_FOLDER=str(side.dir / "uploads"),
        LEGACY_DATABASE_URL=f"sqlite:///{side.dir / 'legacy.db'}")
    saved_root, saved_env = benchdb.ROOT, dict(os.environ)
    benchdb.ROOT = side.tree  # benchdb.flask runs `flask --app wsgi` in benchdb.ROOT
    os.environ.clear()
    os.environ.update(side.env)
    try:
        benchdb.prepare(side.url)
    finally:
        benchdb.ROOT = saved_root
        os.environ.clear()
        os.environ.update(saved_env)
    with benchdb.connect(side.url) as conn:
        side.fingerprint = dict(zip(("products", "catalog"), conn.execute(
            "SELECT count(*), md5(string_agg(concat_ws(':', p.code, p.name, p.price, p.stock,"
            " p.is_active), ',' ORDER BY p.code)) FROM products p JOIN stores s"
            " ON s.id = p.store_id WHERE s.slug = %s", (SLUG,)).fetchone(), strict=True))


def worker_cmd(args, mode: str, block: int) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--block",
            str(block), "--requests", str(args.requests), "--cpu-requests",
            str(args.cpu_requests), "--warmup", str(args.warmup), "--kinds", args.kinds]


def run_instructions(args, sides: list[Side]) -> dict[str, dict]:
    """The callgrind runs, the sides in parallel (counts do not depend on the load): the
    instructions of each request, per kind, less the collection toggles' own."""
    procs, started = [], time.monotonic()
    try:
        for side in sides:
            cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
                   f"--callgrind-out-file={side.dir / 'callgrind.out'}",
                   f"--log-file={side.dir / 'valgrind.log'}",
                   *worker_cmd(args, "instructions", 1)]
            with open(side.dir / "instructions.json", "wb") as out, \
                    open(side.dir / "instructions-worker.log", "wb") as log:
                procs.append(subprocess.Popen(cmd, cwd=side.tree, env=side.env, stdout=out,
                                              stderr=log))
        for side, proc in zip(sides, procs, strict=True):
            if proc.wait(max(1.0, args.timeout - (time.monotonic() - started))) != 0:
                raise SystemExit(f"{side.name}: callgrind run failed ({proc.returncode}); see "
                                 f"{side.dir / 'instructions-worker.log'}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(f"  callgrind runs: {time.monotonic() - started:.0f} s", flush=True)
    return {side.name: read_dumps(side) for side in sides}


def read_dumps(side: Side) -> dict:
    """Instructions per request from the worker's list of dumps and callgrind's files."""
    answer = json.loads((side.dir / "instructions.json").read_text().strip().splitlines()[-1])
    totals = {}
    for dump in side.dir.glob("callgrind.out.*"):
        text = dump.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M).group(1)
        totals[label] = int(re.search(r"^totals: (\d+)", text, re.M).group(1))
    per_kind: dict[str, list[int]] = {}
    for label, kind, _ in answer["dumps"]:
        per_kind.setdefault(kind, []).append(totals[label])
    idle = min(per_kind.pop("idle"))
    return {"per_request": {k: [v - idle for v in vs] for k, vs in per_kind.items()},
            "toggle_overhead": idle, "sql": answer["sql"], "info": answer["info"]}


class CpuWorker:
    """A measuring process waiting for commands, so that two sides can take turns."""

    def __init__(self, args, side: Side):
        self.side = side
        self.log = open(side.dir / "cpu-worker.log", "wb")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(worker_cmd(args, "cpu", 2), cwd=side.tree, env=side.env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1)
        self.ready = self._answer()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(30)
            raise SystemExit(f"{self.side.name}: CPU worker stopped ({self.proc.returncode}); "
                             f"see {self.side.dir / 'cpu-worker.log'}")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def machine_cpu() -> list[int]:
    """The machine's CPU ticks since boot: user nice system idle iowait irq softirq steal."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def machine_since(start: list[int]) -> tuple[float, float]:
    """How busy the machine was since `start` (all cores), and the share the hypervisor
    took (steal): a loaded machine inflates the CPU time of every process on it."""
    ticks = [b - a for a, b in zip(start, machine_cpu(), strict=True)]
    total = sum(ticks) or 1
    return (total - ticks[3] - ticks[4]) / total, ticks[7] / total


def run_cpu(args, sides: list[Side]) -> dict[str, dict]:
    """CPU rounds, the sides taking turns (ABBA), then the SQL counts."""
    workers = []
    try:
        for side in sides:
            workers.append(CpuWorker(args, side))
        rounds: dict[str, list] = {side.name: [] for side in sides}
        for r in range(args.rounds):
            for w in (workers if r % 2 == 0 else workers[::-1]):
                started, machine = time.monotonic(), machine_cpu()
                rounds[w.side.name].append(w.ask("round")["round"])
                busy, steal = (100 * v for v in machine_since(machine))
                print(f"  {w.side.name}: CPU round {r + 1} {time.monotonic() - started:.0f} s, "
                      f"machine {busy:.0f} % busy, {steal:.1f} % stolen", flush=True)
                rounds[w.side.name][-1]["machine"] = {"busy_pct": busy, "steal_pct": steal}
        return {w.side.name: {"rounds": rounds[w.side.name], "sql": w.ask("sql")["sql"],
                              "info": w.ready["info"]} for w in workers}
    finally:
        for w in workers:
            w.close()


# --------------------------------------------------------------------------- report


def summarize(instructions: dict | None, cpu: dict | None) -> dict[str, dict]:
    """Per kind: instructions per request (mean of the requests, spread over them), app and
    PostgreSQL CPU ms per request (best round, spread over the rounds), statements."""
    rows: dict[str, dict] = {}
    sql = (cpu or instructions or {}).get("sql", {})
    for kind in sql:
        row: dict = {"sql": sql[kind]["statements"]}
        if instructions:
            counts = instructions["per_request"][kind]
            mean = sum(counts) / len(counts)
            row.update(instr_m=mean / 1e6, instr_spread=100 * (max(counts) - min(counts)) / mean)
        if cpu:
            app = [r[kind]["app_ms"] for r in cpu["rounds"]]
            median = [r[kind]["app_median_ms"] for r in cpu["rounds"]]
            row.update(app_ms=min(app), app_spread=100 * (max(app) - min(app)) / min(app),
                       app_median_ms=min(median),
                       median_spread=100 * (max(median) - min(median)) / min(median),
                       db_ms=min(r[kind]["db_ms"] for r in cpu["rounds"]))
        rows[kind] = row
    return rows


def fmt(value, spec: str) -> str:
    """The value formatted, or a dash as wide."""
    return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0]))


def print_one(side: Side, rows: dict[str, dict]) -> None:
    print(f"\n{side.label}: per request")
    print(f"{'kind':<32} {'instr M':>8} {'+-%':>5} {'app ms':>7} {'+-%':>5} {'median':>7} "
          f"{'+-%':>5} {'pg ms':>6} {'SQL':>4}")
    for kind, row in rows.items():
        print(f"{kind:<32} {fmt(row.get('instr_m'), '8.2f')}"
              f" {fmt(row.get('instr_spread'), '5.1f')}"
              f" {fmt(row.get('app_ms'), '7.3f')} {fmt(row.get('app_spread'), '5.1f')}"
              f" {fmt(row.get('app_median_ms'), '7.3f')} {fmt(row.get('median_spread'), '5.1f')}"
              f" {fmt(row.get('db_ms'), '6.3f')} {row['sql']:>4}")
    total = path_total(rows)
    if total is not None:
        print(f"{'whole path, per order':<32} {total:8.2f}  ({path_text()})")
    print("instr M: millions of instructions (callgrind), mean of the requests, +-% their "
          "spread (max-min)/mean;\napp ms / median: the app process's CPU per request, mean / "
          "median of a round's requests, best round, +-% the spread over the rounds;\npg ms: "
          "the PostgreSQL backend's CPU per request, best round; SQL: statements sent")


def path_total(rows: dict[str, dict]) -> float | None:
    """Millions of instructions of the shopper's whole path (PATH), if all its kinds ran."""
    if not all(rows.get(kind, {}).get("instr_m") is not None for kind in PATH):
        return None
    return sum(rows[kind]["instr_m"] * n for kind, n in PATH.items())


def path_text() -> str:
    return " + ".join(f"{n} x {kind}" if n > 1 else kind for kind, n in PATH.items())


def ratio(before, after) -> str:
    return f"{after / before:6.3f}" if before and after is not None else "     -"


def print_against(before: Side, after: Side, rows_b: dict, rows_a: dict) -> None:
    print(f"\nbefore = {before.label}, after = {after.label}; ratio = after / before")
    print(f"{'kind':<32} {'instr M before':>14} {'after':>7} {'ratio':>6}   {'app ms before':>13}"
          f" {'after':>7} {'ratio':>6} {'median':>6}   {'pg ms before':>12} {'after':>6}"
          f"   {'SQL':>7}")
    for kind in rows_a:
        b, a = rows_b.get(kind, {}), rows_a[kind]
        print(f"{kind:<32} {fmt(b.get('instr_m'), '14.2f')} {fmt(a.get('instr_m'), '7.2f')}"
              f" {ratio(b.get('instr_m'), a.get('instr_m'))}   {fmt(b.get('app_ms'), '13.3f')}"
              f" {fmt(a.get('app_ms'), '7.3f')} {ratio(b.get('app_ms'), a.get('app_ms'))}"
              f" {ratio(b.get('app_median_ms'), a.get('app_median_ms'))}"
              f"   {fmt(b.get('db_ms'), '12.3f')} {fmt(a.get('db_ms'), '6.3f')}"
              f"   {b.get('sql', '-'):>3}>{a['sql']:<3}")
    before_total, after_total = path_total(rows_b), path_total(rows_a)
    if after_total is not None:
        print(f"{'whole path, per order':<32} {fmt(before_total, '14.2f')} {after_total:7.2f}"
              f" {ratio(before_total, after_total)}   ({path_text()})")
    print("a gain is proven by the instructions' ratio (deterministic to ~0.5 %); the CPU "
          "ratios move with the machine's load")


def perf_note() -> str:
    """Whether perf sees hardware instruction counters here (a VM often hides them)."""
    if not shutil.which("perf"):
        return "perf not installed"
    done = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "--", "true"],
                          capture_output=True, text=True, timeout=30, check=False)
    counted = done.returncode == 0 and "not supported" not in done.stderr \
        and re.match(r"\d", done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "")
    return "perf counts instructions here too" if counted else \
        "perf stat -e instructions:u: not supported here (no PMU in the VM)"


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="COMMIT",
                        help="measure this commit too (before) and print before / after")
    parser.add_argument("--after", metavar="COMMIT",
                        help="measure this commit as 'after' instead of the working tree")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CPU_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--before-database-url", default=BEFORE_URL)
    parser.add_argument("--redis-url", default="",
                        help="the app's REDIS_URL (default none: notifications are rendered "
                             "and logged in the request)")
    parser.add_argument("--requests", type=int, default=5,
                        help="requests per kind counted under callgrind")
    parser.add_argument("--cpu-requests", type=int, default=200,
                        help="requests per kind and round for the CPU time")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20, help="requests per kind first")
    parser.add_argument("--kinds", default="|".join(KINDS),
                        help="the kinds to measure, separated by |")
    parser.add_argument("--no-instructions", action="store_true")
    parser.add_argument("--no-cpu", action="store_true")
    parser.add_argument("--timeout", type=float, default=1200, help="per callgrind run, s")
    parser.add_argument("--worker", choices=("instructions", "cpu"), help=argparse.SUPPRESS)
    parser.add_argument("--block", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.kinds.split("|")) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; known: {' | '.join(KINDS)}")
    if not (1 <= args.requests <= 100 and 1 <= args.cpu_requests <= 10_000
            and 1 <= args.rounds <= 20 and 1 <= args.warmup <= 1000):
        parser.error("--requests 1..100, --cpu-requests 1..10,000, --rounds 1..20, "
                     "--warmup 1..1000")
    if args.against and args.database_url == args.before_database_url:
        parser.error("before and after need databases of their own")
    return args


def sides_of(args, run_dir: Path) -> list[Side]:
    sides = []
    if args.against:
        tree, sha = export_tree(args.against, run_dir / "before" / "tree")
        sides.append(Side("before", sha, tree, args.before_database_url, run_dir / "before"))
    if args.after:
        tree, sha = export_tree(args.after, run_dir / "after" / "tree")
        sides.append(Side("after", sha, tree, args.database_url, run_dir / "after"))
    else:
        (run_dir / "after").mkdir(parents=True)
        sides.append(Side("after", "working tree", ROOT, args.database_url, run_dir / "after"))
    return sides


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    started = time.monotonic()
    run_dir = BENCH / "results" / f"cpu-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    sides = sides_of(args, run_dir)
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    for side in sides:
        prepare(side, args.redis_url)
        print(f"  {side.name} ({side.label}): database {side.url.rsplit('/', 1)[-1]} ready, "
              f"{side.fingerprint['products']} products in {SLUG}", flush=True)
    if len(sides) == 2 and sides[0].fingerprint != sides[1].fingerprint:
        print("WARNING: the two databases' burgerchina catalogs differ (seed-demo changed): "
              f"{sides[0].fingerprint} / {sides[1].fingerprint}")
    instructions: dict[str, dict] = {}
    if not args.no_instructions:
        if shutil.which("valgrind"):
            print(f"instructions: callgrind; {perf_note()}", flush=True)
            instructions = run_instructions(args, sides)
        else:
            print("valgrind not installed: no instruction counts")
    cpu = run_cpu(args, sides) if not args.no_cpu else {}
    rows = {side.name: summarize(instructions.get(side.name), cpu.get(side.name))
            for side in sides}
    print(f"load average at end: {os.getloadavg()[0]:.2f}; run {time.monotonic() - started:.0f} s")
    for side in sides:
        print_one(side, rows[side.name])
    if len(sides) == 2:
        print_against(*sides, rows["before"], rows["after"])
    (run_dir / "results.json").write_text(json.dumps({
        "args": {k: v for k, v in vars(args).items() if k not in ("worker", "block")},
        "sides": {s.name: {"label": s.label, "tree": str(s.tree), "database": s.url,
                           "fingerprint": s.fingerprint} for s in sides},
        "summary": rows, "instructions": instructions, "cpu": cpu}, indent=2))
    print(f"results: {run_dir / 'results.json'} (callgrind dumps: callgrind_annotate "
          f"{run_dir}/<side>/callgrind.out.<n>)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
