"""Fixtures for the delivery of the outbox by real RQ workers on a real Redis.

- `gateway`: a WhatsApp gateway on 127.0.0.1 that records every request and answers from a
  script (`gateway.script(500, 500, 200)`, per phone or for all, or `Reply(hang=True)` to
  hold a request until `gateway.release()`); past its script it answers 200 with an id.
- `mailbox`: an SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts and refuses
  the recipients it is told to, with 550.
- `redis_db`: the Redis database of TEST_REDIS_URL, flushed before and after (tests that use
  it skip when TEST_REDIS_URL is unset).
- `shop_app(**config)`: an application on the test database (the one of `app`) with these
  settings; `queued_app`: one on Redis whose WhatsApp goes to the gateway.
- `work(app)` runs our RQ worker in burst mode in this process; `start_worker(app)` runs
  `flask --app wsgi worker --burst` in a subprocess with the app's settings as environment.

Workers read committed data, so these tests use `committed`; the test's own reads go through
`outbox()` and friends, which end their transaction at once (on SQLite every transaction takes
the write lock, and a test holding one would stall the worker).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import Notification

from ..conftest import make_test_app
from ..factories import Factories

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT_URL = "/api/orders/create-from-checkout"
TOKEN = "test-gateway-token-7f3a"  # noqa: S105 - the fake gateway's, checked in the header
CUSTOMER = "6281234567890"
STORE_PHONE = "6281111111111"
ADMIN_PHONES = ("6282222222222", "6283333333333")
#: Longest wait for anything asynchronous (a worker, a request reaching the gateway).
WAIT = 30.0
#: Longest a hanging gateway request is held if the test never releases it.
HANG_LIMIT = 20.0
#: The settings worker subprocesses get from their app, as environment variables.
ENV_KEYS = (
    "REDIS_URL", "PUBLIC_BASE_URL", "SECRET_KEY", "WHATSAPP_PROVIDER", "WHATSAPP_GATEWAY_URL",
    "WHATSAPP_GATEWAY_TOKEN", "WHATSAPP_CLOUD_API_URL", "WHATSAPP_CLOUD_PHONE_NUMBER_ID",
    "SMTP_URL", "SMTP_SENDER", "NOTIFY_MAX_ATTEMPTS", "NOTIFY_RETRY_SECONDS",
    "NOTIFY_SENDING_TIMEOUT", "NOTIFY_CONFIRMATIONS_PER_HOUR", "NOTIFY_DRAIN_LINGER",
    "LEGACY_DATABASE_URL",
)


def free_port() -> int:
    """A loopback port nobody listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the WhatsApp gateway ------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One answer of the gateway: its status and JSON (default: an id for a 2xx, an error
    otherwise; a callable gets the request's number and payload); `hang` holds it until
    `gateway.release()`; `delay` waits that many seconds first."""

    status: int = 200
    json: dict | Callable[[int, dict], dict] | None = None
    hang: bool = False
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request the gateway received."""

    number: int
    method: str
    path: str
    headers: dict[str, str]
    payload: dict | None
    peer: tuple
    status: int
    answer: dict

    @property
    def phone(self) -> str | None:
        payload = self.payload or {}
        return payload.get("phone") or payload.get("to")

    @property
    def text(self) -> str | None:
        payload = self.payload or {}
        if "message" in payload:
            return payload["message"]
        return (payload.get("text") or {}).get("body")


@dataclass
class Gateway:
    """What the fake gateway received, and what it will answer next."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0
    _script: deque = field(default_factory=deque)
    _by_phone: dict[str, deque] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _released: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self._by_phone.clear()
            self.delay = 0.0
            self._released.clear()

    def script(self, *replies: int | Reply, phone: str | None = None) -> None:
        """Answer the next requests (to `phone`, or any) with these, then 200 again."""
        queue = self._script if phone is None else self._by_phone.setdefault(phone, deque())
        with self._lock:
            queue.extend(r if isinstance(r, Reply) else Reply(status=r) for r in replies)

    def release(self) -> None:
        """Let held (hanging) requests answer."""
        self._released.set()

    def to(self, phone: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.phone == phone]

    def wait_for(self, count: int, timeout: float = WAIT) -> list[Received]:
        """Wait until at least `count` requests arrived. Fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"the gateway got {len(self.requests)} requests, not {count}, "
                                f"in {timeout} s")
                self._lock.wait(left)
            return list(self.requests)

    def _receive(self, method, path, headers, payload, peer) -> tuple[Reply, Received]:
        with self._lock:
            number = len(self.requests) + 1
            phone = (payload or {}).get("phone") or (payload or {}).get("to")
            queue = self._by_phone.get(phone)
            if queue:
                reply = queue.popleft()
            elif self._script:
                reply = self._script.popleft()
            else:
                reply = Reply()
            if callable(reply.json):
                answer = reply.json(number, payload)
            elif reply.json is not None:
                answer = reply.json
            elif 200 <= reply.status < 300:
                answer = {"id": f"gw-{number}", "status": "queued"}
            else:
                answer = {"error": f"scripted failure {reply.status}"}
            received = Received(number, method, path, headers, payload, peer, reply.status,
                                answer)
            self.requests.append(received)
            self._lock.notify_all()
            return reply, received


class _GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a worker reuses its connection
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK wait

    def do_POST(self):  # noqa: N802 - http.server's name
        gateway: Gateway = self.server.gateway
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        reply, received = gateway._receive("POST", self.path, dict(self.headers.items()),
                                           payload, self.client_address)
        if reply.hang:
            gateway._released.wait(HANG_LIMIT)
        pause = reply.delay or gateway.delay
        if pause:
            time.sleep(pause)
        body = json.dumps(received.answer).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client is gone (a killed worker)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@contextmanager
def serving_gateway() -> Iterator[Gateway]:
    """A stand-in WhatsApp gateway on a free loopback port, for as long as the block runs."""
    gateway = Gateway()
    server = _Server(("127.0.0.1", 0), _GatewayHandler)
    server.gateway = gateway
    gateway.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def gateway_server() -> Iterator[Gateway]:
    with serving_gateway() as gateway:
        yield gateway


@pytest.fixture
def gateway(gateway_server) -> Iterator[Gateway]:
    """The gateway, with nothing received and no script."""
    gateway_server.reset()
    yield gateway_server
    gateway_server.release()  # never leave a request hanging into the next test
    gateway_server.reset()


# --- the SMTP server -----------------------------------------------------------------------


class Mailbox:
    """An SMTP server's handler: keeps each accepted message, refuses chosen recipients."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: set[str] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse(self, address: str) -> None:
        self.refused.add(address.lower())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    """The SMTP server, empty and refusing no one."""
    smtp_server.messages.clear()
    smtp_server.envelopes.clear()
    smtp_server.refused.clear()
    return smtp_server


# --- Redis and the applications -------------------------------------------------------------


@pytest.fixture
def redis_db():
    """The Redis database of TEST_REDIS_URL (only that one), empty before and after."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def shop_app(app, gateway_server) -> Iterator[Callable[..., object]]:
    """`shop_app(**config)`: an application on the test database with these settings
    (WhatsApp to the gateway over `http` unless told otherwise), built once per settings."""
    built: dict[tuple, object] = {}

    def build(**config):
        settings = {
            "REDIS_URL": "", "RATELIMIT_STORAGE_URI": "memory://",
            "WHATSAPP_PROVIDER": "http", "WHATSAPP_GATEWAY_URL": f"{gateway_server.url}/send",
            "WHATSAPP_GATEWAY_TOKEN": TOKEN, "NOTIFY_RETRY_SECONDS": 0.0, "SMTP_URL": "",
            **config,
        }
        key = tuple(sorted((k, repr(v)) for k, v in settings.items()))
        if key not in built:
            built[key] = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], **settings)
            built[key].config["TEST_BACKEND"] = app.config["TEST_BACKEND"]
        return built[key]

    yield build
    for application in built.values():
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def queued_app(shop_app, redis_db, committed, gateway):
    """The shop on Redis (jobs go to RQ), sending WhatsApp through the gateway."""
    return shop_app(REDIS_URL=os.environ["TEST_REDIS_URL"])


# --- the store, the checkout, the outbox ----------------------------------------------------


def burger_with_admins(make: Factories) -> int:
    """Burger China of seed 000 (its own number STORE_PHONE) with two admin numbers more;
    its id."""
    store = make.burger_store()
    store.admin_whatsapp = list(ADMIN_PHONES)
    db.session.commit()
    store_id = store.id
    db.session.remove()
    return store_id


def order_body(**changes) -> dict:
    """Budi's order of seed 000 (None removes a field)."""
    values = {
        "store": "burgerchina", "name": "Budi Santoso", "phone": "081234567890",
        "address": "Jl. Sudirman No. 123, Jakarta", "courier": "JNE Regular",
        "payment_method": "bank_transfer", "notes": "Tanpa bawang ya",
        "items": [{"code": "BRG-CHEESE", "qty": 2}, {"code": "FRIES", "qty": 1}],
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def checkout(application, **changes) -> tuple[int, dict]:
    """POST the headless checkout to `application`; (status, JSON answer)."""
    with application.test_client() as client:
        answer = client.post(CHECKOUT_URL, json=order_body(**changes))
        return answer.status_code, answer.get_json()


def outbox(**where) -> list:
    """The outbox rows matching `where`, oldest first, as plain rows (read, then the
    transaction ends)."""
    table = Notification.__table__
    query = select(table).order_by(table.c.id)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    try:
        return list(db.session.execute(query).all())
    finally:
        db.session.remove()


def execute(statement) -> int:
    """Run one statement and commit; its rowcount."""
    try:
        count = db.session.execute(statement).rowcount
        db.session.commit()
        return count
    finally:
        db.session.remove()


def move_back(column: str, by: timedelta) -> None:
    """Move a time of every outbox row into the past (as if `by` had gone by)."""
    table = Notification.__table__
    for row in outbox():
        if row._mapping[column] is not None:
            execute(update(table).where(table.c.id == row.id)
                    .values({column: row._mapping[column] - by}))


def queue_lengths(application) -> dict[str, int]:
    """How many jobs wait in each queue of `application`'s Redis."""
    from shop.jobs import QUEUES, queue

    with application.app_context():
        return {name: len(queue(name)) for name in QUEUES}


def failed_jobs(application) -> list[str]:
    """The failed RQ jobs of every queue, with their error (a job that raised is a bug)."""
    from rq.registry import FailedJobRegistry

    from shop.jobs import QUEUES, queue

    found = []
    with application.app_context():
        for name in QUEUES:
            registry = FailedJobRegistry(queue=queue(name))
            for job_id in registry.get_job_ids():
                job = queue(name).fetch_job(job_id)
                info = job.latest_result().exc_string if job and job.latest_result() else "?"
                found.append(f"{name} {job_id}: {info}")
    return found


# --- workers -----------------------------------------------------------------------------


def scheduled_jobs(application) -> list:
    """(job id, when RQ will enqueue it) of the jobs waiting in RQ's schedule."""
    from rq.registry import ScheduledJobRegistry

    from shop.jobs import QUEUES, queue

    with application.app_context():
        found = []
        for name in QUEUES:
            registry = ScheduledJobRegistry(queue=queue(name))
            found += [(job_id, registry.get_scheduled_time(job_id))
                      for job_id in registry.get_job_ids()]
        return found


def work(application, queues: tuple[str, ...] = ("high", "default", "legacy"), *,
         scheduler: bool = False) -> None:
    """Run our RQ worker in burst mode here, in an application context of its own (so a
    session of its own), until the queues are empty (with `scheduler`, after moving the jobs
    of RQ's schedule that are due to their queues, as `flask worker --burst` does); fail if
    a job failed."""
    from shop.jobs import redis_connection
    from shop.jobs.worker import Worker

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with application.app_context():
            worker = Worker(list(queues), connection=redis_connection(application))
            worker.work(burst=True, logging_level="WARNING", with_scheduler=scheduler)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    failures = failed_jobs(application)
    assert not failures, failures


def worker_environment(application) -> dict[str, str]:
    """The environment that makes `flask --app wsgi` the same shop as `application`."""
    config = application.config
    env = {k: v for k, v in os.environ.items()
           if k not in ENV_KEYS and k not in ("DATABASE_URL", "SHOP_ENV", "FLASK_APP")}
    env.update({k: str(config[k]) for k in ENV_KEYS})
    env.update(DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"], SHOP_ENV="development",
               RATELIMIT_ENABLED="false", PYTHONUNBUFFERED="1")
    return env


@dataclass
class WorkerProcess:
    """A `flask --app wsgi worker --burst` subprocess and where its output goes."""

    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait(self, timeout: float = WAIT) -> int:
        """Its exit code once it ends; kills it and fails after `timeout` seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            pytest.fail(f"the worker did not finish in {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def start_worker(application, log_dir: Path, name: str = "w1",
                 queues: tuple[str, ...] = ()) -> WorkerProcess:
    """Start `flask --app wsgi worker --burst` with `application`'s settings."""
    log = log_dir / f"worker-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *queues, "--burst",
             "--name", f"{name}-{os.getpid()}-{time.monotonic_ns()}"],
            cwd=ROOT, env=worker_environment(application), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    return WorkerProcess(process, log)


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """`workers(app, name)` starts a burst worker subprocess; any left running are killed."""
    started: list[WorkerProcess] = []

    def start(application, name: str = "w1", queues: tuple[str, ...] = ()) -> WorkerProcess:
        db.session.remove()  # hold no transaction while it works
        worker = start_worker(application, tmp_path, name, queues)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def burst(start, application, name: str = "w1") -> WorkerProcess:
    """Run one burst worker subprocess to its end; fail unless it exits 0."""
    worker = start(application, name)
    code = worker.wait()
    assert code == 0, worker.output()
    return worker
