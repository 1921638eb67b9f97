"""The shopper's whole path (issue 16, item 2): our storefront's HTML forms against the
django-oscar peer's guest checkout, in one run, one server loaded at a time.

Ours: gunicorn (the production worker, a gthread, 4 x 2, `RATELIMIT_ENABLED=false`) on a fresh
`shop_bench_path` (`benchdb.prepare`: seed-demo's burgerchina plus the big-stock BENCH-A/B/C),
as in production: REDIS_URL (db 10, flushed) and `--rq-workers` RQ workers beside it sending
the order's messages (log provider); `--embedded`: no Redis, sent inside the checkout's
request. `--shoppers` guests, back to back until `--seconds` pass (flows already started
finish), each a new browser without JavaScript: its own keep-alive connection and cookie jar,
redirects followed, every answer checked:

    GET  /store/burgerchina                 the add-to-cart forms (csrf_token, code, qty, next)
    POST /store/burgerchina/cart  (x2)      -> 303 -> GET the store page (cart count, flash)
    GET  /store/burgerchina/checkout        the form: csrf_token, idempotency_key, choices
    POST /store/burgerchina/checkout        -> 303 -> GET /track/<id> (ORD-... shown)

then the store page alone (`--read-seconds`, loadgen, the same number of clients). Oscar:
`../shared/peers/oscar/serve.sh start`, its `load.py` for the checkout and then for the
product page, `serve.sh stop`. `--rounds` alternates the two. Prints orders/s and the ratio,
each step's requests/s and p50/p99, the store page against Oscar's product page, CPU per order
(server: ours web + RQ workers; PostgreSQL, client), the outbox's drain and the database checks
of both (ours: every order's messages sent). Exits 1 only when a check fails.

    python bench/shopper_path.py --seconds 15
    python bench/shopper_path.py --seconds 10 --rounds 2 --read-seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import benchdb
import checkout_tracking as ct
import loadgen
import procstats
import store_page

ROOT = benchdb.ROOT
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_path"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"  # checkout_tracking.py's is 9
STORE = f"/store/{benchdb.STORE_SLUG}"
CHECKOUT = f"{STORE}/checkout"
#: The big-stock products (stock never runs out): code -> name as the pages show it.
PRODUCTS = {code: name for code, name, _, _ in benchdb.BENCH_PRODUCTS}
STEPS = ("store page", "add to cart", "store page after add", "checkout page", "place order",
         "tracking page")
OSCAR_DIR = ROOT.parent / "shared" / "peers" / "oscar"
OSCAR_STATE = Path(os.environ.get("OSCAR_BENCH_STATE", "/tmp/oscar_bench_state"))  # noqa: S108
OSCAR_PYTHON = Path(os.environ.get("OSCAR_VENV", "/tmp/oscarvenv")) / "bin" / "python"  # noqa: S108
OSCAR_DB = "oscar_bench"
ORDER_NUMBER = re.compile(r"ORD-\d+(?:-\d+)*")
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
CONTROL_RE = re.compile(r"<(input)\b([^>]*)>()|<(textarea|select)\b([^>]*)>(.*?)</\4>", re.S)
ATTR_RE = re.compile(r'([\w:-]+)(?:="([^"]*)")?')
OPTION_RE = re.compile(r'<option value="([^"]*)"')
ALERT_RE = re.compile(r'class="(?:errors|field-error)"[^>]*>([^<]*)<')


def oscar_requests(items: int) -> dict[str, int]:
    """Requests per order in each step of load.py's checkout_flow (redirects included)."""
    return {"product": items, "basket_add": 2 * items, "gateway": 3, "shipping_address": 1,
            "shipping_method_payment": 3, "preview": 1, "place_order": 1, "thank_you": 1}


# ------------------------------------------------------------------ a browser without JS


class FlowError(Exception):
    """An answer that is not what a shopper's browser would get (the flow is counted failed)."""

    def __init__(self, step: str, detail: str):
        super().__init__(f"{step}: {detail}")
        self.step = step


@dataclass
class Form:
    """What a browser would submit: the action, the controls' values, the choices offered."""

    action: str
    fields: dict[str, str]
    choices: dict[str, list[str]]


def forms_of(page: str, path: str) -> list[Form]:
    """The page's forms: hidden and text inputs, checked radios, selects' options, textareas."""
    forms = []
    for form_attrs, body in FORM_RE.findall(page):
        action = dict(ATTR_RE.findall(form_attrs)).get("action") or path
        form = Form(html.unescape(action), {}, {})
        for match in CONTROL_RE.finditer(body):
            tag, attrs, inner = match.group(1, 2, 3) if match[1] else match.group(4, 5, 6)
            found = {k: html.unescape(v) for k, v in ATTR_RE.findall(attrs)}
            name = found.get("name")
            if not name:
                continue
            if tag == "select":
                form.choices[name] = [html.unescape(v) for v in OPTION_RE.findall(inner)]
            elif tag == "textarea":
                form.fields[name] = html.unescape(inner)
            elif found.get("type") == "radio":
                form.choices.setdefault(name, []).append(found.get("value", "on"))
                if "checked" in found:
                    form.fields[name] = found.get("value", "on")
            else:
                form.fields[name] = found.get("value", "")
        forms.append(form)
    return forms


class BrowserConnection(loadgen.Connection):
    """loadgen's keep-alive connection, keeping each answer's headers (cookies, Location)."""

    headers: list[tuple[str, str]]

    async def _read_response(self) -> tuple[int, bool, bytes]:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            raise loadgen.HttpError("connection closed before the response") from error
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise loadgen.HttpError(f"bad status line {lines[0]!r}")
        self.headers = [(n.strip().lower(), v.strip()) for n, _, v in
                        (line.partition(":") for line in lines[1:] if line)]
        given = dict(self.headers)
        close = version == "HTTP/1.0" or given.get("connection", "").lower() == "close"
        try:
            if "chunked" in given.get("transfer-encoding", "").lower():
                body = await self._read_chunked()
            elif "content-length" in given:
                body = await self.reader.readexactly(int(given["content-length"]))
            else:
                body, close = await self.reader.read(), True
        except asyncio.IncompleteReadError as error:
            raise loadgen.HttpError("connection closed inside the body") from error
        return int(rest[:3]), close, body


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    text: str

    def location(self) -> str:
        """The redirect's target as a path (Werkzeug sends relative ones; a browser keeps the
        origin of an absolute one, here always the server's)."""
        target = urlsplit(dict(self.headers).get("location", ""))
        return target.path + (f"?{target.query}" if target.query else "")


class Browser:
    """One guest: a connection, a cookie jar, each request timed into its step."""

    def __init__(self, port: int, stats: loadgen.PhaseStats, timeout: float,
                 timings: dict[str, list[float]] | None):
        self.host = f"{ct.HOST}:{port}"
        self.conn = BrowserConnection(ct.HOST, port, stats)
        self.cookies: dict[str, str] = {}
        self.timeout, self.timings = timeout, timings

    async def send(self, step: str, method: str, path: str,
                   form: dict[str, str] | None = None) -> Answer:
        """One request with the jar's cookies; Set-Cookie answers go back into the jar."""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Accept: text/html",
                "Accept-Encoding: identity", "User-Agent: shopper-path-bench/1"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            head += ["Content-Type: application/x-www-form-urlencoded",
                     f"Content-Length: {len(body)}"]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                status, content = await self.conn.request(raw)
        except TimeoutError:
            raise FlowError(step, f"{method} {path}: no answer in {self.timeout} s") from None
        except (OSError, loadgen.HttpError) as error:
            raise FlowError(step, f"{method} {path}: {type(error).__name__} {error}") from None
        if self.timings is not None:
            self.timings.setdefault(step, []).append(time.perf_counter() - started)
        for name, value in self.conn.headers:
            if name == "set-cookie":
                pair, _, attrs = value.partition(";")
                key, _, val = pair.strip().partition("=")
                expired = not val or "max-age=0" in attrs.lower().replace(" ", "")
                if expired:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        return Answer(status, self.conn.headers, content.decode("utf-8", "replace"))

    async def follow(self, answer: Answer, step: str) -> Answer:
        """GET the redirects' targets as a browser does (at most 5 hops)."""
        for _ in range(5):
            if answer.status not in (301, 302, 303, 307, 308):
                return answer
            answer = await self.send(step, "GET", answer.location())
        raise FlowError(step, "more than 5 redirects")

    def close(self) -> None:
        self.conn.close()


def expect(answer: Answer, step: str, status: int, *needles: str) -> None:
    """The answer's status and what its page must show; else the flow failed at `step`."""
    if answer.status != status:
        alerts = "; ".join(a.strip() for a in ALERT_RE.findall(answer.text) if a.strip())[:200]
        raise FlowError(step, f"answered {answer.status}, wanted {status} {alerts}".strip())
    for needle in needles:
        if needle not in answer.text:
            raise FlowError(step, f"page without {needle!r}")


# ----------------------------------------------------------------------- one shopper's path


@dataclass
class Placed:
    order_id: str
    number: str
    phone: str  # normalized, as the customer row holds it
    lines: list[tuple[str, int]]


async def add_to_cart(browser: Browser, page: Answer, code: str, qty: int, count: int) -> Answer:
    """Submit the product's add-to-cart form with `qty` typed in; follow the 303."""
    forms = [f for f in forms_of(page.text, STORE) if f.fields.get("code") == code
             and f.fields.get("action") == "add" and "csrf_token" in f.fields]
    if not forms:
        raise FlowError("store page", f"no add-to-cart form for {code}")
    form = forms[0]
    answer = await browser.send("add to cart", "POST", form.action, form.fields | {"qty": str(qty)})
    expect(answer, "add to cart", 303)
    if answer.location() != form.fields.get("next"):
        raise FlowError("add to cart", f"redirected to {answer.location()!r}")
    page = await browser.follow(answer, "store page after add")
    expect(page, "store page after add", 200, f'id="cart-count">{count}<', "flash ok")
    return page


def fill_checkout(page: Answer, rng: random.Random, phone: str, cart: dict[str, int]) -> Form:
    """The checkout form as a shopper fills it: details typed, a courier, a payment method and
    a province chosen among those the page offers; the hidden fields as they came."""
    forms = forms_of(page.text, CHECKOUT)
    lines = {f.fields["code"]: int(f.fields.get("qty") or 0) for f in forms
             if f.fields.get("action") == "set" and "code" in f.fields}
    if lines != cart:
        raise FlowError("checkout page", f"cart shows {lines}, wanted {cart}")
    found = [f for f in forms if "idempotency_key" in f.fields and "csrf_token" in f.fields]
    if not found or not found[0].fields["idempotency_key"]:
        raise FlowError("checkout page", "no checkout form with csrf_token and idempotency_key")
    form = found[0]
    for name in ("courier", "payment_method", "province"):
        offered = [v for v in form.choices.get(name, []) if v]
        if not offered:
            raise FlowError("checkout page", f"no choice of {name}")
        form.fields[name] = rng.choice(offered)
    form.fields |= {"name": "Budi Santoso", "phone": phone,
                    "address": f"Jl. Merdeka No. {rng.randint(1, 300)}, RT 01/RW 02",
                    "district": "Setiabudi", "city": "Jakarta Selatan", "postal_code": "12190",
                    "email": "", "notes": ""}
    return form


async def shop_once(browser: Browser, phone: str, rng: random.Random) -> Placed:
    """The whole path of one guest; returns the order its tracking page showed."""
    page = await browser.send("store page", "GET", STORE)
    expect(page, "store page", 200, store_page.CARD.decode(), 'name="csrf_token"')
    cart: dict[str, int] = {}
    for code in rng.sample(sorted(PRODUCTS), 2):
        cart[code] = rng.randint(1, 3)
        page = await add_to_cart(browser, page, code, cart[code], sum(cart.values()))
    page = await browser.send("checkout page", "GET", CHECKOUT)
    expect(page, "checkout page", 200)
    form = fill_checkout(page, rng, phone, cart)
    answer = await browser.send("place order", "POST", form.action, form.fields)
    expect(answer, "place order", 303)
    target = answer.location()
    if not target.startswith("/track/"):
        raise FlowError("place order", f"redirected to {target!r}")
    page = await browser.follow(answer, "tracking page")
    expect(page, "tracking page", 200, 'id="thanks"',
           *(f"{qty}x {PRODUCTS[code]}" for code, qty in cart.items()))
    number = ORDER_NUMBER.search(page.text)
    if number is None:
        raise FlowError("tracking page", "no ORD- number on the page")
    return Placed(target.removeprefix("/track/"), number.group(0), "62" + phone[1:],
                  list(cart.items()))


@dataclass
class PathRun:
    """One window of shoppers: what succeeded, what failed and where, and the timings."""

    placed: list[Placed] = field(default_factory=list)
    failed: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=dict)
    flows: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0
    connections: int = 0
    cut: int = 0


async def run_shoppers(port: int, shoppers: int, seconds: float, timeout: float,
                       phones: itertools.count, seed: int) -> PathRun:
    """`shoppers` guests back to back until `seconds` pass; started flows finish (bounded)."""
    run, stats = PathRun(), loadgen.PhaseStats("path")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def shopper(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        while loop.time() < deadline:
            browser = Browser(port, stats, timeout, run.timings)  # a new guest, a new browser
            started = time.perf_counter()
            try:
                run.placed.append(await shop_once(browser, f"0813{next(phones):08d}", rng))
                run.flows.append(time.perf_counter() - started)
            except FlowError as error:
                run.failed[error.step] += 1
                if len(run.samples) < 5:
                    run.samples.append(str(error)[:300])
            finally:
                browser.close()

    cpu0, started = time.process_time(), loop.time()
    tasks = [asyncio.create_task(shopper(i)) for i in range(shoppers)]
    done, pending = await asyncio.wait(tasks, timeout=seconds + 10 * timeout + 5)
    for task in pending:  # a flow past every bound: counted, never waited for
        task.cancel()
        run.cut += 1
    for task in done:
        task.result()
    run.elapsed, run.client_cpu = loop.time() - started, time.process_time() - cpu0
    run.connections = stats.connections
    return run


# ------------------------------------------------------------------------------ our side


class MeteredBrowser(Browser):
    """A Browser that charges the server's and PostgreSQL's CPU around each request to its
    step: with one shopper alone, every tick in between is that request's."""

    def __init__(self, port: int, stats: loadgen.PhaseStats, timeout: float,
                 meter: procstats.CpuMeter, spent: dict[str, list[float]]):
        super().__init__(port, stats, timeout, None)
        self.meter, self.spent = meter, spent

    async def send(self, step: str, method: str, path: str,
                   form: dict[str, str] | None = None) -> Answer:
        before = self.meter.sample()
        try:
            return await super().send(step, method, path, form)
        finally:
            cpu = procstats.CpuMeter.delta(before, self.meter.sample(), 0.0)
            mine = self.spent.setdefault(step, [0.0, 0.0, 0])
            mine[0] += cpu["app_cpu_s"]
            mine[1] += cpu["db_cpu_s"]
            mine[2] += 1


async def cpu_by_step(port: int, meter: procstats.CpuMeter, flows: int, timeout: float,
                      phones: itertools.count) -> tuple[PathRun, dict]:
    """`flows` paths of one shopper, one after the other: server and PostgreSQL CPU ms per
    request of each step (/proc counts in 10 ms ticks: read it over many flows)."""
    run, stats, spent = PathRun(), loadgen.PhaseStats("cpu"), {}
    rng = random.Random(7)
    for _ in range(flows):
        browser = MeteredBrowser(port, stats, timeout, meter, spent)
        try:
            run.placed.append(await shop_once(browser, f"0813{next(phones):08d}", rng))
        except FlowError as error:
            run.failed[error.step] += 1
            if len(run.samples) < 5:
                run.samples.append(str(error)[:300])
        finally:
            browser.close()
    steps = {step: {"requests": n, "app_ms": round(1000 * app / n, 2),
                    "db_ms": round(1000 * db / n, 2),
                    "app_ms_per_order": round(1000 * app / max(1, len(run.placed)), 2)}
             for step, (app, db, n) in spent.items()}
    return run, steps


def check_ours(url: str, seeded: benchdb.Seeded, before: benchdb.Snapshot,
               runs: list[PathRun]) -> list[tuple[str, bool, str]]:
    """benchdb's checks of the orders the flows placed, the numbers the pages showed, and no
    failed flow."""
    expected = benchdb.Expected()
    placed = [p for run in runs for p in run.placed]
    for p in placed:
        expected.add(p.order_id, p.number, p.phone, p.lines)
    results = benchdb.check(url, seeded, before, expected, len(placed))
    with benchdb.connect(url) as conn:
        numbers = dict(conn.execute("SELECT id, number FROM orders WHERE id = ANY(%s)",
                                    ([p.order_id for p in placed],)).fetchall())
    wrong = [p for p in placed if numbers.get(p.order_id) != p.number]
    results.append(("each tracking page showed its order's number (DB)", not wrong,
                    f"{len(placed) - len(wrong)} of {len(placed)} match"
                    + (f"; e.g. {wrong[0].number} vs {numbers.get(wrong[0].order_id)}"
                       if wrong else "")))
    failed = sum(sum(r.failed.values()) + r.cut for r in runs)
    where = dict(sum((r.failed for r in runs), Counter()))
    results.append(("no failed flow (ours, warm-up and one-shopper flows included)", failed == 0,
                    f"{failed} failed" + (f" {where}: " + " | ".join(
                        s for r in runs for s in r.samples[:2]) if failed else "")))
    return results


def round_ours(args, seeded: benchdb.Seeded, run_dir: Path, phones: itertools.count,
               n: int, delivery: ct.Delivery) -> dict:
    """Start the RQ workers (production) and gunicorn, warm up, the measured path, the
    outbox's drain, the one-shopper flows, the store page alone; stop them."""
    url = args.database_url
    server = ct.Gunicorn(url, "balanced", args.workers, args.threads, run_dir / "gunicorn.log")
    meter = None
    try:
        server.env = delivery.start(url, f"path-{n}")
        server.start()
        meter = procstats.CpuMeter(benchdb.plain_url(url), benchdb.database_name(url),
                                   server.proc.pid)
        before, after_id = benchdb.snapshot(url), ct.Delivery.last_row(url)
        runs = []
        if args.warmup:
            runs.append(asyncio.run(run_shoppers(server.port, args.shoppers, args.warmup,
                                                 args.request_timeout, phones, 100 + n)))
            runs[-1].timings = {}  # warm-up answers are checked, not measured
        start, rq_start = meter.sample(), delivery.cpu()
        path = asyncio.run(run_shoppers(server.port, args.shoppers, args.seconds,
                                        args.request_timeout, phones, n))
        runs.append(path)
        cpu = delivery.fold_cpu(procstats.CpuMeter.delta(start, meter.sample(), path.elapsed),
                                rq_start)
        outbox = delivery.drain(url, after_id)  # before the flows alone, bounded
        print(f"  outbox: {outbox['unsent_when_load_stopped']} rows unsent when the load "
              f"stopped, {outbox['unsent_after_drain']} after {outbox['drain_s']} s", flush=True)
        by_step = rq_by_step = None
        if args.cpu_flows and n == 1:
            rq_start = delivery.cpu()
            alone, by_step = asyncio.run(cpu_by_step(server.port, meter, args.cpu_flows,
                                                     args.request_timeout, phones))
            runs.append(alone)
            delivery.drain(url, after_id)  # their messages go out after the answers
            rq_by_step = (round(1000 * (delivery.cpu() - rq_start) / len(alone.placed), 2)
                          if alone.placed and not delivery.embedded else None)
        checks = check_ours(url, seeded, before, runs)
        checks += delivery.check(url, after_id, {p.order_id for r in runs for p in r.placed})
        read = read_ours(args, server, meter, delivery) if args.read_seconds else None
        startup = delivery.startup_cpu()
    finally:
        server.stop()
        delivery.stop()
        if meter is not None:
            meter.close()
    return {"path": path, "cpu": cpu, "checks": checks, "read": read, "cpu_by_step": by_step,
            "rq_ms_per_order_alone": rq_by_step, "outbox": outbox, "mode": delivery.mode(),
            "rq_workers_startup_cpu_s": round(startup, 2),
            "warmup_orders": len(runs[0].placed) if args.warmup else 0}


def read_ours(args, server: ct.Gunicorn, meter: procstats.CpuMeter,
              delivery: ct.Delivery) -> dict:
    """The store page alone: `--shoppers` keep-alive clients without cookies (a new visitor
    per request, as load.py's read phase), a 1 s ramp-up, then the window."""
    pages = store_page.StorePages(server.port, benchdb.STORE_SLUG)
    samples = []
    stats = asyncio.run(loadgen.run_phase(
        "store page", host=ct.HOST, port=server.port, clients=args.shoppers,
        seconds=args.read_seconds, max_requests=200_000, make_request=pages.make_request,
        on_response=pages.on_response, request_timeout=args.request_timeout, ramp_up=1.0,
        on_window_start=lambda: samples.append((meter.sample(), delivery.cpu()))))
    summary = stats.summary()
    summary["cpu"] = delivery.fold_cpu(
        procstats.CpuMeter.delta(samples[0][0], meter.sample(), stats.elapsed), samples[0][1])
    return summary


# --------------------------------------------------------------------------- Oscar's side


def oscar(env: dict[str, str], *args: str, timeout: float = 90) -> str:
    """Run serve.sh (start, stop, status) from the peer's folder; its output."""
    done = subprocess.run(["bash", str(OSCAR_DIR / "serve.sh"), *args], cwd=OSCAR_DIR, env=env,  # noqa: S607
                          capture_output=True, text=True, timeout=timeout, check=False)
    if args[0] == "start" and done.returncode != 0:
        raise RuntimeError(f"serve.sh start failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def load_oscar(args, env: dict[str, str], meter: procstats.CpuMeter, out: Path,
               duration: float, read: float) -> dict:
    """One run of load.py; its OSCARRESULT line, its JSON and the CPU spent meanwhile."""
    cmd = [str(OSCAR_PYTHON), str(OSCAR_DIR / "load.py"), "--concurrency", str(args.shoppers),
           "--duration", str(duration), "--read-seconds", str(read), "--items",
           str(args.oscar_items), "--timeout", str(args.request_timeout), "--json", str(out)]
    before, children = meter.sample(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=OSCAR_DIR, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=duration + read + 12 * args.request_timeout + 60, check=False)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = procstats.CpuMeter.delta(before, meter.sample(), elapsed)
    cpu["client_cpu_s"] = round(after.ru_utime + after.ru_stime
                                - children.ru_utime - children.ru_stime, 3)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("OSCARRESULT ")), "")
    result = dict(kv.split("=", 1) for kv in line.split()[1:])
    detail = json.loads(out.read_text()) if out.exists() else {}
    return {"returncode": done.returncode, "oscarresult": result, "detail": detail, "cpu": cpu,
            "output": done.stdout[-3000:] + done.stderr[-2000:]}


def round_oscar(args, env: dict[str, str], run_dir: Path, n: int) -> dict:
    """serve.sh start, a warm-up, the checkout, the product page, serve.sh stop (always)."""
    meter = None
    try:
        print("  " + oscar(env, "start").strip(), flush=True)
        pid = int((OSCAR_STATE / "gunicorn.pid").read_text().strip())
        meter = procstats.CpuMeter(benchdb.plain_url(args.database_url), OSCAR_DB, pid)
        if args.warmup:
            load_oscar(args, env, meter, run_dir / f"oscar-warmup-{n}.json", args.warmup, 0)
        path = load_oscar(args, env, meter, run_dir / f"oscar-path-{n}.json", args.seconds, 0)
        read = (load_oscar(args, env, meter, run_dir / f"oscar-read-{n}.json", 0,
                           args.read_seconds) if args.read_seconds else None)
    finally:
        if meter is not None:
            meter.close()
        print("  " + oscar(env, "stop").strip(), flush=True)
    return {"path": path, "read": read}


# ---------------------------------------------------------------------------------- report


def ms(values: list[float], p: float) -> float | None:
    return loadgen.pct(sorted(values), p)


def summarize_ours(rounds: list[dict]) -> dict:
    """The measured windows of every round as one: orders/s, steps, CPU per order."""
    paths = [r["path"] for r in rounds]
    orders, elapsed = sum(len(p.placed) for p in paths), sum(p.elapsed for p in paths)
    flows = [f for p in paths for f in p.flows]
    steps = {}
    for step in STEPS:
        lat = [t for p in paths for t in p.timings.get(step, [])]
        steps[step] = {"requests": len(lat), "per_second": round(len(lat) / elapsed, 1),
                       "p50_ms": ms(lat, 50), "p99_ms": ms(lat, 99),
                       "ms_per_order": round(1000 * sum(lat) / orders, 1) if orders else None}
    per_order = {key: round(1000 * sum(r["cpu"][f"{key}_cpu_s"] for r in rounds) / orders, 2)
                 if orders else None for key in ("app", "db")}
    per_order["client"] = (round(1000 * sum(p.client_cpu for p in paths) / orders, 2)
                           if orders else None)
    # The app's CPU is the web processes' plus (production) the RQ workers' in the window.
    for key, spent in (("web", lambda c: c.get("web_cpu_s", c["app_cpu_s"])),
                       ("rq_workers", lambda c: c.get("rq_workers_cpu_s", 0.0))):
        per_order[key] = (round(1000 * sum(spent(r["cpu"]) for r in rounds) / orders, 2)
                          if orders else None)
    requests = sum(s["requests"] for s in steps.values())
    result = {"orders": orders, "elapsed_s": round(elapsed, 2),
              "orders_per_s": round(orders / elapsed, 2) if elapsed else 0.0,
              "orders_per_s_by_round": [round(len(p.placed) / p.elapsed, 2) for p in paths],
              "failed": sum(sum(p.failed.values()) + p.cut for p in paths),
              "failed_by_step": dict(sum((p.failed for p in paths), Counter())),
              "error_samples": [s for p in paths for s in p.samples][:5],
              "flow_p50_ms": ms(flows, 50), "flow_p99_ms": ms(flows, 99),
              "requests_per_order": round(requests / orders, 1) if orders else None,
              "requests_per_s": round(requests / elapsed, 1) if elapsed else 0.0,
              "connections": sum(p.connections for p in paths),
              "steps": steps, "cpu_ms_per_order": per_order,
              "machine_busy_pct": [r["cpu"]["machine_busy_pct"] for r in rounds],
              "warmup_orders": sum(r["warmup_orders"] for r in rounds),
              "cpu_by_step": rounds[0]["cpu_by_step"],
              "rq_ms_per_order_alone": rounds[0]["rq_ms_per_order_alone"],
              "mode": rounds[0]["mode"], "outbox": [r["outbox"] for r in rounds],
              "rq_workers_startup_cpu_s": [r["rq_workers_startup_cpu_s"] for r in rounds]}
    reads = [r["read"] for r in rounds if r["read"]]
    if reads:
        result["read"] = summarize_read(
            [(x["requests"], x["elapsed_s"], x["latency_ms"]["p50"], x["latency_ms"]["p99"],
              x["cpu"], sum(x["errors"].values())) for x in reads])
    return result


def summarize_read(windows: list[tuple]) -> dict:
    """(requests, elapsed, p50, p99, cpu, errors) per round: pages/s over all, CPU per page."""
    requests, elapsed = sum(w[0] for w in windows), sum(w[1] for w in windows)
    result = {"requests": requests, "per_second": round(requests / elapsed, 1) if elapsed else 0.0,
            "p50_ms": [w[2] for w in windows], "p99_ms": [w[3] for w in windows],
            "errors": sum(w[5] for w in windows),
            "app_cpu_ms": round(1000 * sum(w[4]["app_cpu_s"] for w in windows) / requests, 2)
            if requests else None,
            "db_cpu_ms": round(1000 * sum(w[4]["db_cpu_s"] for w in windows) / requests, 2)
            if requests else None}
    if requests and any("rq_workers_cpu_s" in w[4] for w in windows):  # ours in production
        result["rq_workers_cpu_ms"] = round(
            1000 * sum(w[4].get("rq_workers_cpu_s", 0.0) for w in windows) / requests, 2)
    return result


def summarize_oscar(rounds: list[dict], items: int) -> dict:
    """load.py's figures of every round as one; its steps' requests/s from its request counts."""
    checkouts = [r["path"]["detail"].get("checkout", {}) for r in rounds]
    orders = sum(c.get("flows_ok", 0) for c in checkouts)
    elapsed = sum(c.get("elapsed_s", 0) for c in checkouts)
    counts = oscar_requests(items)
    per_flow = {c.get("http_requests_per_flow") for c in checkouts}
    steps = {}
    for step, count in counts.items():
        mean = [(c["mean_ms_per_step"].get(step, 0), c["flows_ok"]) for c in checkouts
                if c.get("flows_ok")]
        steps[step] = {
            "requests_per_order": count,
            "per_second": round(count * orders / elapsed, 1)
            if elapsed and per_flow == {float(sum(counts.values()))} else None,
            "ms_per_order": round(sum(m * n for m, n in mean) / orders, 1) if orders else None}
    cpu = [r["path"]["cpu"] for r in rounds]
    per_order = {key: round(1000 * sum(c[f"{key}_cpu_s"] for c in cpu) / orders, 2)
                 if orders else None for key in ("app", "db", "client")}
    result = {"orders": orders, "elapsed_s": round(elapsed, 2),
              "orders_per_s": round(orders / elapsed, 2) if elapsed else 0.0,
              "orders_per_s_by_round": [c.get("orders_per_s") for c in checkouts],
              "failed": sum(c.get("flows_failed", 0) for c in checkouts),
              "failed_by_step": dict(sum((Counter(c.get("errors", {})) for c in checkouts),
                                         Counter())),
              "error_samples": [s for c in checkouts for s in c.get("error_samples", [])][:5],
              "flow_p50_ms": [c.get("flow_p50_ms") for c in checkouts],
              "flow_p99_ms": [c.get("flow_p99_ms") for c in checkouts],
              "place_order_p50_ms": [c.get("place_order_p50_ms") for c in checkouts],
              "place_order_p99_ms": [c.get("place_order_p99_ms") for c in checkouts],
              "requests_per_order": sorted(x for x in per_flow if x),
              "requests_per_s": round(sum(c.get("http_requests_per_s", 0) * c.get("elapsed_s", 0)
                                          for c in checkouts) / elapsed, 1) if elapsed else 0.0,
              "steps": steps, "cpu_ms_per_order": per_order,
              "machine_busy_pct": [c["machine_busy_pct"] for c in cpu]}
    reads = [r["read"] for r in rounds if r["read"]]
    if reads:
        pages = [r["detail"].get("product_page", {}) for r in reads]
        result["read"] = summarize_read(
            [(p.get("requests", 0), p.get("elapsed", 0), p.get("p50_ms"), p.get("p99_ms"),
              r["cpu"], sum(p.get("errors", {}).values()))
             for p, r in zip(pages, reads, strict=True)])
    return result


def check_oscar(rounds: list[dict]) -> list[tuple[str, bool, str]]:
    """load.py's own database checks (orders == successful flows, numbers unique and as the
    thank-you pages showed them, stock allocations), one row per round and phase."""
    results = []
    for n, r in enumerate(rounds, 1):
        for phase in ("path", "read"):
            run = r[phase]
            if run is None:
                continue
            verify = run["detail"].get("checkout", {}).get("verify")
            ok = run["returncode"] == 0 and bool(run["oscarresult"])
            if phase == "path":
                ok = ok and bool(verify and verify["ok"])
            detail = json.dumps(verify) if verify else f"OSCARRESULT {run['oscarresult']}"
            results.append((f"Oscar round {n} {phase}: load.py ran, its checks passed", ok,
                            detail if ok else f"{detail}\n{run['output'][-1500:]}"))
    return results


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a and b else "-"


def report(ours: dict, theirs: dict | None, checks: list, args) -> bool:
    """Print the comparison and the checks; True when every check passed."""
    t = theirs or {}
    print(f"\nshopper's path, {args.shoppers} shoppers, {args.rounds} x {args.seconds:g} s "
          f"(ours: 2 products per order; Oscar: --items {args.oscar_items})")
    print(f"ours: {ours['mode']}")
    print(f"{'':<24}{'ours':>12}{'Oscar':>12}{'ratio':>9}")
    rows = [("orders/s", ours["orders_per_s"], t.get("orders_per_s")),
            ("orders", ours["orders"], t.get("orders")),
            ("flows failed", ours["failed"], t.get("failed")),
            ("HTTP requests/s", ours["requests_per_s"], t.get("requests_per_s"))]
    for label, a, b in rows:
        print(f"{label:<24}{a:>12}{b if b is not None else '-':>12}"
              f"{ratio(a, b) if label in ('orders/s', 'HTTP requests/s') else '':>9}")
    print(f"{'orders/s by round':<24}{ours['orders_per_s_by_round']} / "
          f"{t.get('orders_per_s_by_round', '-')}")
    print(f"{'requests per order':<24}{ours['requests_per_order']} / "
          f"{t.get('requests_per_order', '-')}")
    print(f"{'whole flow p50 / p99 ms':<24}{ours['flow_p50_ms']} / {ours['flow_p99_ms']};  "
          f"Oscar {t.get('flow_p50_ms', '-')} / {t.get('flow_p99_ms', '-')}")
    print("goal: ours >= 10x Oscar's orders/s: "
          f"{ratio(ours['orders_per_s'], t.get('orders_per_s'))}")
    print(f"\nours, per step{'':<12}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'ms/order':>9}")
    for step, s in ours["steps"].items():
        print(f"  {step:<24}{s['per_second']:>8}{s['p50_ms']!s:>8}{s['p99_ms']!s:>8}"
              f"{s['ms_per_order']!s:>9}")
    if theirs:
        print(f"Oscar, per step (load.py){'':<1}{'req/s':>8}{'ms/order':>25}   req/order")
        for step, x in theirs["steps"].items():
            extra = (f"   p50 {_one(theirs['place_order_p50_ms'])} ms, p99 "
                     f"{_one(theirs['place_order_p99_ms'])} ms" if step == "place_order" else "")
            print(f"  {step:<24}{x['per_second']!s:>8}{x['ms_per_order']!s:>25}   "
                  f"{x['requests_per_order']}{extra}")
        print("  (load.py sums each step's time per flow and gives p50/p99 for place_order only;"
              " req/s = orders/s x req/order)")
    if ours["cpu_by_step"]:
        print(f"ours, one shopper alone{'':<3}{'app ms':>8}{'pg ms':>8}  per request; app ms "
              "per order")
        for step, c in ours["cpu_by_step"].items():
            print(f"  {step:<24}{c['app_ms']:>8}{c['db_ms']:>8}  {c['app_ms_per_order']}")
        if ours["rq_ms_per_order_alone"] is not None:
            print(f"  {'rq workers (messages)':<24}{'':>16}  {ours['rq_ms_per_order_alone']}"
                  "   (after the answers; their PostgreSQL time is in the steps')")
    report_read(ours, theirs)
    cpu, tcpu = ours["cpu_ms_per_order"], t.get("cpu_ms_per_order", {})
    embedded = ours["mode"] == "embedded"
    server = (f"{cpu['app']} (web only: embedded)" if embedded else
              f"{cpu['app']} (web {cpu['web']} + rq workers {cpu['rq_workers']})")
    print(f"\nCPU ms per order: ours server {server}, PostgreSQL {cpu['db']}, client "
          f"{cpu['client']}; Oscar server {tcpu.get('app', '-')}, PostgreSQL "
          f"{tcpu.get('db', '-')}, client (load.py, requests) {tcpu.get('client', '-')}")
    for n, box in enumerate(ours["outbox"], 1):
        print(f"outbox, ours round {n}: {box['unsent_when_load_stopped']} rows queued or "
              f"sending when the path stopped, {box['unsent_after_drain']} after the drain of "
              f"{box['drain_s']} s" + ("" if embedded else
              f" (rq workers' CPU in it {box['rq_workers_cpu_s']} s, not in the figures above;"
              f" their start-up {ours['rq_workers_startup_cpu_s'][n - 1]} s neither)"))
    print(f"machine busy % during the path: ours {ours['machine_busy_pct']}, Oscar "
          f"{t.get('machine_busy_pct', '-')}")
    for name, side in (("ours", ours), ("Oscar", t)):
        for sample in side.get("error_samples", []):
            print(f"failed flow ({name}): {sample}")
    print("\nchecks")
    for name, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return all(ok for _, ok, _ in checks)


def _one(values) -> str:
    """One round's figure, or each round's joined by '/'."""
    if isinstance(values, list):
        return " / ".join(str(v) for v in values)
    return str(values)


def report_read(ours: dict, theirs: dict | None) -> None:
    """The read phase: our store page alone against Oscar's product page."""
    if "read" not in ours:
        return
    r, t = ours["read"], (theirs or {}).get("read", {})
    print(f"\nread phase{'':<14}{'req/s':>8}{'app ms':>8}{'pg ms':>7}{'errors':>7}"
          "   p50 ms; p99 ms (by round)")
    for label, x in (("our store page", r), ("Oscar product page", t)):
        if x:
            print(f"  {label:<22}{x['per_second']:>8}{x['app_cpu_ms']!s:>8}{x['db_cpu_ms']!s:>7}"
                  f"{x['errors']:>7}   {_one(x['p50_ms'])}; {_one(x['p99_ms'])}")
    if "rq_workers_cpu_ms" in r:
        print(f"  (our app ms: web and the idle rq workers' {r['rq_workers_cpu_ms']} ms)")
    if t:
        print(f"goal: store page >= 7x Oscar's product page: "
              f"{ratio(r['per_second'], t['per_second'])}")


# ------------------------------------------------------------------------------------ main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PATH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--seconds", type=float, default=15.0, help="measured path per round")
    parser.add_argument("--read-seconds", type=float, default=5.0,
                        help="store page / product page alone per round (0: skip)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of the path before each measured one, both shops")
    parser.add_argument("--shoppers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="ours then Oscar, this often")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--request-timeout", type=float, default=10.0)
    parser.add_argument("--oscar-items", type=int, default=1,
                        help="products per Oscar basket (load.py --items)")
    parser.add_argument("--no-oscar", action="store_true", help="only our shop")
    parser.add_argument("--cpu-flows", type=int, default=30,
                        help="round 1: flows of one shopper alone, CPU per step (0: skip)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_PATH_REDIS_URL",
                                                              DEFAULT_REDIS),
                        help="production mode: our gunicorn's and RQ workers' REDIS_URL, a "
                             "database of its own (not 0), FLUSHED at the start and the end")
    parser.add_argument("--rq-workers", type=int, default=1,
                        help="production mode: RQ worker processes beside our gunicorn")
    parser.add_argument("--embedded", action="store_true",
                        help="ours without Redis and workers: the order's messages rendered "
                             "and logged inside the checkout's request")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 20 and 0 <= args.read_seconds <= 20 and 0 <= args.warmup <= 20
            and 1 <= args.shoppers <= 64 and 1 <= args.rounds <= 5
            and 1 <= args.request_timeout <= 30 and 1 <= args.oscar_items <= 3
            and 0 <= args.cpu_flows <= 200 and 1 <= args.rq_workers <= 16):
        parser.error("--seconds 1..20, --read-seconds and --warmup 0..20, --shoppers 1..64, "
                     "--rounds 1..5, --request-timeout 1..30, --oscar-items 1..3, "
                     "--cpu-flows 0..200, --rq-workers 1..16")
    if not args.embedded:
        ct.redis_db(parser, args.redis_url)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # A plain `kill` of the benchmark still runs the finally blocks that stop both servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    oscar_env = dict(os.environ)  # the peer gets the caller's environment, not our app's
    if not args.no_oscar:
        if not OSCAR_PYTHON.exists():
            raise SystemExit(f"{OSCAR_PYTHON} missing: run bash {OSCAR_DIR / 'setup.sh'} first")
        if "not running" not in oscar(oscar_env, "status"):
            raise SystemExit("the Oscar peer is already running: only one server may be "
                             f"loaded at a time (bash {OSCAR_DIR / 'serve.sh'} stop)")
    run_dir = ROOT / "bench" / "results" / f"shopper-path-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run_dir.mkdir(parents=True)
    # seed-demo's photos and embedded ERP stay in this run's folder, not the instance folder.
    os.environ.update(benchdb.app_env(
        args.database_url, UPLOAD_FOLDER=str(run_dir / "uploads"),
        LEGACY_DATABASE_URL=f"sqlite:///{run_dir / 'legacy.db'}"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    store_page.ensure_database(args.database_url)
    seeded = benchdb.prepare(args.database_url)
    phones = itertools.count(10_000_000)  # 081310000000..: no demo customer has one
    ours, theirs = [], []
    delivery = ct.Delivery(args, run_dir)
    delivery.flush()
    try:
        for n in range(1, args.rounds + 1):
            print(f"round {n}: ours, {delivery.mode()}", flush=True)
            ours.append(round_ours(args, seeded, run_dir, phones, n, delivery))
            p = ours[-1]["path"]
            print(f"  {len(p.placed)} orders in {p.elapsed:.1f} s, {sum(p.failed.values())} "
                  "failed", flush=True)
            if not args.no_oscar:
                print(f"round {n}: Oscar", flush=True)
                theirs.append(round_oscar(args, oscar_env, run_dir, n))
                print("  OSCARRESULT " + " ".join(
                    f"{k}={v}" for k, v in theirs[-1]["path"]["oscarresult"].items()),
                    flush=True)
    finally:
        delivery.flush()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    checks = [c for r in ours for c in r["checks"]] + check_oscar(theirs)
    result = {"ours": summarize_ours(ours),
              "oscar": summarize_oscar(theirs, args.oscar_items) if theirs else None,
              "checks": [{"check": c, "passed": ok, "detail": d} for c, ok, d in checks],
              "args": vars(args)}
    (run_dir / "results.json").write_text(json.dumps(result, indent=2, default=str))
    ok = report(result["ours"], result["oscar"], checks, args)
    print(f"results: {run_dir / 'results.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
