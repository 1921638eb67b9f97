"""B2B portal benchmark (issue 12, "Performance"): dealers on the JSON API under gunicorn, on
PostgreSQL with Redis, loaded from loopback.

    python bench/b2b_portal.py                    # 100 browsing + 20 checking out, 2 x 30 s
    python bench/b2b_portal.py --seconds 5        # a short run
    python bench/b2b_portal.py --think 2          # only dealers who wait 1-3 s
    pip install py-spy && python bench/b2b_portal.py --seconds 10 --py-spy

One run: rebuild the bench database (its public schema dropped; `flask --app wsgi db upgrade`,
so the trigram index of the part search exists), add the distributor of seed 004 with --shops
dealer shops (TK001.., phones 6281xxxxxxxx) and --parts parts (varied names of parts,
motorcycle models and part numbers, categories OIL and SPARE_PART, the ERP's stock on most,
some 0) in one COPY, then ANALYZE. Flush Redis db 12, serve bench/gateway.py's stand-in
WhatsApp gateway, start one RQ worker and gunicorn (the README's production command: its
balanced gthread worker, 4 x 2 threads, RATELIMIT_ENABLED=false) with REDIS_URL and
WHATSAPP_PROVIDER=http at the gateway. Every dealer logs in once through the real OTP flow:
POST /api/auth/request-otp, the worker sends the code to the gateway, the code is read there
from the message and traded for a bearer token with POST /api/auth/verify-otp. Then --browsers
dealers browse (search, product page, sometimes the stock) while --buyers dealers fill their
carts and check out, all at once, for --seconds or --max-requests, once per --think: dealers
who wait about a second after each answer (people), then dealers who never wait (what the
server can do). Printed per phase and endpoint: requests/s, p50, p99, max, errors; orders/s;
the search's p99 against the 50 ms goal; CPU per request; after the load the statements of one
call of each endpoint and EXPLAIN ANALYZE of the search's; the database checked against what
the clients saw. Timings are never asserted: exit 1 only when a check fails. Results, logs and
py-spy profiles go to bench/results/b2b-portal-<UTC time>/.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import benchdb
import checkout_tracking as ct
import gateway as gw
import loadgen
import notifications as nt
import procstats
import sqlcount

ROOT = benchdb.ROOT
HOST = ct.HOST
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/shop_bench_b2b"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
#: The databases of the other benchmarks: their runs drop them.
OTHERS_DATABASES = ("shop_bench", "shop_bench_notify")
#: Issue 12, "Performance".
TARGETS = {"search_p99_ms": 50}
OTP_IN_MESSAGE = re.compile(r"\*(\d{6})\*")
ORDER_NUMBER = re.compile(r"ORD-(\d{4})-\d{6}")
BROWSER, BUYER = "browse", "checkout"
#: gunicorn's --keep-alive in checkout_tracking.Gunicorn: the longest pause between requests.
KEEP_ALIVE = 5
#: Endpoints in the order they are printed.
ENDPOINTS = ("search", "product", "stock", "cart add", "cart view", "checkout",
             "checkout replay", "orders", "cart clear")
#: Match counts of a search, for the search's latency by how much it found.
MATCH_BUCKETS = ((0, "0"), (10, "1-10"), (100, "11-100"), (1000, "101-1,000"),
                 (5000, "1,001-5,000"), (10**9, "> 5,000"))

# --------------------------------------------------------------------------- the catalogue

#: Motorcycle models (weight: how many parts are made for them).
MODELS = (("Beat", 14), ("Vario", 12), ("Scoopy", 7), ("Supra", 6), ("Revo", 5),
          ("NMAX", 6), ("Aerox", 5), ("Mio", 6), ("Jupiter", 3), ("Vixion", 3), ("PCX", 4),
          ("CBR150R", 2), ("Genio", 2), ("Spacy", 1), ("Blade", 1), ("Sonic", 1),
          ("Xeon", 1), ("Fino", 2), ("Lexi", 1), ("Satria", 2), ("Smash", 1),
          ("Karisma", 1), ("Tiger", 1), ("Megapro", 1), ("ADV", 1), ("Fazzio", 1))
MODEL_VARIANTS = ("", "", "", "FI", "125", "150", "eSP", "Street", "CBS", "ISS", "Old")
#: Honda-style part number blocks (06455 K0J N00): the middle block names the model.
MODEL_CODES = ("K0J", "KVB", "K25", "K59", "K93", "KZR", "K1A", "K2F", "KEV", "KWB", "B65",
               "2DP", "5TL", "BJ1", "K44", "K16", "KTM", "GN5")
SUFFIXES = ("N00", "900", "A00", "M00", "K00", "000", "B20", "H01")
#: Spare parts: name, weight, qualifiers ("" for none).
SPARE_PARTS = (
    ("Kampas Rem", 8, ("Depan", "Belakang", "Cakram Depan")),
    ("Kampas Kopling", 3, ("", "Ganda")),
    ("Busi", 6, ("NGK CPR7EA", "NGK CPR8EA", "Denso U24EPR9", "NGK C7HSA", "Iridium")),
    ("Filter Udara", 5, ("", "Racing")), ("Filter Oli", 2, ("",)),
    ("V-Belt", 4, ("", "Bando")), ("Roller", 3, ("8 gr", "10 gr", "12 gr", "13 gr")),
    ("Rantai", 3, ("428H", "428", "415 Racing")), ("Gear Set", 3, ("", "SSS")),
    ("Aki", 3, ("GS GTZ5S", "Yuasa YTZ5S", "GS GM5Z", "Motobatt MTZ5S")),
    ("Lampu Depan", 3, ("LED", "Halogen")), ("Lampu Stop", 2, ("",)),
    ("Lampu Sein", 2, ("Depan", "Belakang")), ("Kabel Gas", 2, ("",)),
    ("Kabel Rem", 1, ("",)), ("Kabel Speedometer", 1, ("",)), ("Kabel Body", 1, ("",)),
    ("Bearing", 3, ("Roda 6301", "Roda 6201", "Kruk As 6204", "Komstir")),
    ("Seal", 3, ("Shock Depan", "Kruk As", "Klep", "Gear")),
    ("Piston Kit", 2, ("STD", "OS 25", "OS 50")), ("Ring Piston", 2, ("STD", "OS 50")),
    ("Gasket", 2, ("Blok", "Head", "Set")), ("Karburator", 1, ("",)), ("CDI", 1, ("",)),
    ("Kiprok", 1, ("",)), ("Relay Starter", 1, ("",)), ("Klakson", 1, ("",)),
    ("Spion", 1, ("Kiri", "Kanan")),
    ("Ban Luar", 3, ("80/90-14", "90/90-14", "70/90-17", "100/80-14")),
    ("Ban Dalam", 2, ("2.50-17", "2.75-17")), ("Shock Absorber", 2, ("Belakang", "Depan")),
    ("Pulley Set", 1, ("",)), ("Mangkok Kopling", 1, ("",)), ("Per Kopling", 1, ("",)),
    ("Karet Footstep", 1, ("",)), ("Cakram", 1, ("Depan",)), ("Master Rem", 1, ("Depan",)),
    ("Noken As", 1, ("",)), ("Klep", 1, ("In", "Ex")), ("Knalpot", 1, ("Standar",)),
    ("Injektor", 1, ("",)), ("Fuel Pump", 1, ("",)), ("Stang Seher", 1, ("",)),
    ("Kruk As", 1, ("",)), ("Stator", 1, ("",)),
)
#: Oils and fluids: name, weight, brands, specs, volumes.
OILS = (
    ("Oli Mesin", 10, ("AHM MPX1", "AHM MPX2", "AHM SPX2", "Yamalube Matic", "Yamalube Sport",
                      "Federal Ultratec", "Shell Advance AX7", "Castrol Power1",
                      "Motul Scooter", "Enduro Matic", "Repsol Moto", "Top1 Action"),
     ("10W-30", "10W-40", "20W-50", "5W-30"), ("0.8L", "1L", "1.2L")),
    ("Oli Gardan", 3, ("AHM", "Yamalube", "Federal"), ("",), ("120ml", "150ml")),
    ("Oli Shock", 1, ("AHM", "Motul"), ("",), ("100ml",)),
    ("Minyak Rem", 1, ("AHM", "Prestone"), ("DOT3", "DOT4"), ("50ml", "100ml")),
    ("Coolant", 1, ("AHM", "Yamaha", "Prestone"), ("",), ("500ml", "1L")),
)


@dataclass(frozen=True)
class Part:
    code: str
    name: str
    category: str
    price: Decimal
    legacy_stock: int | None
    is_active: bool


def _weighted(rng: random.Random, rows):
    return rng.choices(rows, weights=[row[1] for row in rows])[0]


def make_parts(count: int, seed: int) -> list[Part]:
    """`count` parts with varied names; part numbers unique (the first block is a bijection
    of the row number onto 10000-99999)."""
    rng = random.Random(seed)
    parts = []
    for n in range(count):
        model, _ = _weighted(rng, MODELS)
        variant = rng.choice(MODEL_VARIANTS)
        if rng.random() < 0.22:
            kind, _, brands, specs, volumes = _weighted(rng, OILS)
            words = [kind, rng.choice(brands), rng.choice(specs), rng.choice(volumes)]
            if rng.random() < 0.3:
                words.append(model)
            category, block = "OIL", "M99"
        else:
            kind, _, qualifiers = _weighted(rng, SPARE_PARTS)
            words = [kind, rng.choice(qualifiers), model, variant]
            category, block = "SPARE_PART", rng.choice(MODEL_CODES)
        name = " ".join(w for w in words if w)
        code = f"{10000 + n * 7919 % 90000:05d}{block}{rng.choice(SUFFIXES)}"
        price = Decimal(rng.randrange(10, 1800) * 500)
        roll = rng.random()
        stock = None if roll < 0.04 else 0 if roll < 0.14 else rng.randint(1, 400)
        parts.append(Part(code, name, category, price, stock, rng.random() > 0.02))
    return parts


@dataclass
class Vocabulary:
    """What dealers type into the search: common and rare words, models, part names of two
    words, part numbers."""

    common: list[tuple[str, int]]
    rare: list[str]
    models: list[str]
    phrases: list[str]
    codes: list[str]

    @classmethod
    def of(cls, parts: list[Part]) -> Vocabulary:
        counts: Counter = Counter()
        for part in parts:
            for word in set(part.name.split()):
                if len(word) >= 3 and any(ch.isalpha() for ch in word):
                    counts[word] += 1
        common = counts.most_common(30)
        rare = sorted(w for w, c in counts.items() if c <= max(len(parts) // 200, 5))
        phrases = sorted({name for name, *_ in SPARE_PARTS + OILS if " " in name})
        return cls(common, rare or [w for w, _ in common], [m for m, _ in MODELS], phrases,
                   [p.code for p in parts])

    def term(self, rng: random.Random) -> tuple[str, str]:
        """(kind, text): 30 % common words, 20 % models, 15 % two-word part names, 20 % rare
        words, 15 % part numbers (whole, or the first two blocks); any case."""
        roll = rng.random()
        if roll < 0.30:
            kind, text = "common word", _weighted(rng, self.common)[0]
        elif roll < 0.50:
            kind, text = "model", rng.choice(self.models)
        elif roll < 0.65:
            kind, text = "part name", rng.choice(self.phrases)
        elif roll < 0.85:
            kind, text = "rare word", rng.choice(self.rare)
        else:
            code = rng.choice(self.codes)
            kind, text = "part number", code if rng.random() < 0.5 else code[:8]
        case = rng.random()
        return kind, text.lower() if case < 0.5 else text.upper() if case < 0.6 else text


# --------------------------------------------------------------------------- the database


@dataclass
class World:
    """What the fresh database holds before the load."""

    store_id: int
    admins: list[str]
    shops: list[tuple[int, str, str]]  # id, code, phone
    stock: dict[int, int | None]  # product id -> legacy stock
    buyable: list[int]  # active products with stock >= 10
    product_ids: list[int]
    vocabulary: Vocabulary
    seconds: float = 0.0


def build_app(args):
    """The app in this process (data setup, the search's plans), on the bench database."""
    import logging

    from shop import create_app

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": benchdb.plain_url(args.database_url).replace(
            "postgresql://", "postgresql+psycopg://", 1),
        "LEGACY_DATABASE_URL": os.environ["LEGACY_DATABASE_URL"],
        "RATELIMIT_ENABLED": False, "SECRET_KEY": os.environ["SECRET_KEY"],
        "REDIS_URL": args.redis_url, "WHATSAPP_PROVIDER": "log",
    })
    logging.getLogger().setLevel(logging.WARNING)
    return app


SHOP_NAMES = ("Jaya", "Maju", "Sejahtera", "Makmur", "Abadi", "Sentosa", "Berkah", "Mandiri",
              "Lancar", "Sumber Rejeki", "Harapan", "Mulia")
CITIES = ("Bandung", "Cimahi", "Garut", "Tasikmalaya", "Sumedang", "Subang", "Cianjur",
          "Sukabumi", "Bogor", "Bekasi")
PART_COLUMNS = ("store_id", "code", "name", "description", "category", "price", "attributes",
                "stock", "low_stock_threshold", "is_active", "ref_part_id", "legacy_stock",
                "stock_synced_at", "created_at", "updated_at")


def prepare(args, app) -> World:
    """Drop and rebuild the schema, migrate, add the distributor, its shops and parts."""
    started = time.monotonic()
    url = args.database_url
    with benchdb.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    benchdb.flask(url, "db", "upgrade")
    from shop.demo_b2b import DISTRIBUTOR
    from shop.extensions import db
    from shop.models import SalesStaff, Shop, StaffPosition, Store
    from shop.services.order_channels import store_admins

    with app.app_context():
        store = Store(**DISTRIBUTOR)
        db.session.add(store)
        db.session.flush()
        sales = [SalesStaff(store_id=store.id, name=name, phone=phone, ref_salesman_id=ref,
                            position=StaffPosition.SALES)
                 for name, phone, ref in (("Rudi Hartono", "6281355500002", 71),
                                          ("Maya Sari", "6281355500003", 72))]
        db.session.add_all(sales)
        db.session.flush()
        for n in range(1, args.shops + 1):
            city = CITIES[n % len(CITIES)]
            db.session.add(Shop(
                store_id=store.id, code=f"TK{n:03d}", phone=f"6281{55_000_000 + n:08d}",
                name=f"Toko {SHOP_NAMES[n % len(SHOP_NAMES)]} Motor {city} {n}",
                address=f"Jl. Raya {city} No. {n}", city=city, province="Jawa Barat",
                ref_toko_id=1000 + n, salesman_id=sales[n % 2].id,
                discount_percent=Decimal(("0", "0", "2.5", "5")[n % 4])))
        db.session.commit()
        store_id, admins = store.id, store_admins(store)
        shops = [(s.id, s.code, s.phone) for s in db.session.scalars(
            db.select(Shop).order_by(Shop.code))]
        db.session.remove()
    parts = make_parts(args.parts, args.seed)
    with benchdb.connect(url) as conn:
        missing = benchdb.uncovered_columns(conn, "products", set(PART_COLUMNS))
        if missing:
            raise SystemExit(f"bench/b2b_portal.py: products.{missing} are NOT NULL now; add "
                             "them to PART_COLUMNS and the COPY")
        now = datetime.now(UTC)
        buffer = io.StringIO()
        for n, p in enumerate(parts, start=1):
            synced = now.isoformat() if p.legacy_stock is not None else None
            row = (store_id, p.code, p.name, f"Part {p.category} untuk {p.name}", p.category,
                   p.price, "{}", None, 5, p.is_active, n, p.legacy_stock, synced,
                   now.isoformat(), now.isoformat())
            buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
        with conn.cursor().copy(f"COPY products ({', '.join(PART_COLUMNS)}) FROM STDIN") as cp:
            cp.write(buffer.getvalue())
        # Own prices for every sixth shop: 200 parts each, 8 % under the list price.
        conn.execute(
            "INSERT INTO dealer_prices (shop_id, product_id, price, updated_at)"
            " SELECT s.id, p.id, round(p.price * 0.92), now() FROM shops s"
            " JOIN LATERAL (SELECT id, price FROM products WHERE store_id = %s"
            " AND (id + s.id) %% 250 = 0 LIMIT 200) p ON true WHERE s.id %% 6 = 0",
            (store_id,))
        conn.commit()
        conn.execute("ANALYZE")
        rows = conn.execute("SELECT id, legacy_stock, is_active FROM products"
                            " WHERE store_id = %s ORDER BY id", (store_id,)).fetchall()
    stock = {pid: s for pid, s, _ in rows}
    buyable = [pid for pid, s, active in rows if active and s is not None and s >= 10]
    world = World(store_id, admins, shops, stock, buyable, [pid for pid, *_ in rows],
                  Vocabulary.of(parts))
    world.seconds = round(time.monotonic() - started, 1)
    return world


# --------------------------------------------------------------------------- the gateway


class LocalGateway:
    """bench/gateway.py's Gateway, served by a thread of this process. Its own process
    answers only digests of the texts; a dealer reads the code in the message, so the
    bodies must be at hand here."""

    def __init__(self):
        self.gateway = gw.Gateway(nt.TOKEN)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(asyncio.start_server(
                self.gateway.serve, HOST, 0, backlog=1024, limit=gw.MAX_BODY + 65536))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()
            server.close()

        self.thread = threading.Thread(target=run, name="gateway", daemon=True)
        self.thread.start()
        if not ready.wait(20):
            raise RuntimeError("the gateway thread did not start")
        self.url = f"http://{HOST}:{self.port}/send"

    def count(self) -> int:
        return len(self.gateway.records)

    def messages(self, since: int = 0) -> list[tuple[str, str]]:
        """(phone, text) of the requests from index `since` on."""
        out = []
        for _arrival, body in list(self.gateway.records[since:]):
            try:
                payload = json.loads(body)
                out.append((str(payload.get("phone")), str(payload.get("message"))))
            except (ValueError, AttributeError):
                out.append(("?", body.decode("utf-8", "replace")))
        return out

    def records(self, since: int) -> dict:
        """The gateway's own answer to /_records (what notifications.match_gateway reads)."""
        return self.gateway.dump(since)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Context:
    """What notifications.py's Workers and app_env read: args, results dir, Redis, gateway."""

    def __init__(self, args, run_dir: Path, gateway: LocalGateway):
        import redis

        self.args, self.run_dir, self.gateway = args, run_dir, gateway
        self.redis = redis.Redis.from_url(args.redis_url, socket_connect_timeout=2,
                                          socket_timeout=30)


# --------------------------------------------------------------------------- dealers


@dataclass
class Pending:
    """A request on its way: which endpoint, when it left, whether it is measured."""

    endpoint: str
    t0: float
    measured: bool
    data: dict = field(default_factory=dict)


@dataclass
class Dealer:
    shop_id: int
    code: str
    phone: str
    written: str  # the phone as the dealer types it at the login
    role: str
    rng: random.Random
    token: bytes = b""
    otp: str | None = None
    pending: Pending | None = None
    #: Browser: what to ask next ("search", or "product"/"stock" with a product id).
    step: tuple = ("search",)
    #: Buyer: the steps of the current cycle; the cart as the client expects it.
    plan: list = field(default_factory=list)
    cart: dict[int, int] = field(default_factory=dict)
    cycles: int = 0
    uncertain: bool = False
    last_order: tuple[str, str] | None = None  # (id, number)


def written_phone(phone: str, n: int) -> str:
    """6281... as dealers write it: as is, 0812..., or +62 812-3456-7890."""
    local = phone[2:]
    return (phone, "0" + local, f"+62 {local[:3]}-{local[3:7]}-{local[7:]}")[n % 3]


def assign_roles(clients: int, buyers: int) -> list[str]:
    """Buyers spread evenly among the clients, so the ramp-up starts both kinds together."""
    return [BUYER if (i * buyers) // clients != ((i + 1) * buyers) // clients else BROWSER
            for i in range(clients)]


def with_bearer(raw: bytes, token: bytes) -> bytes:
    """loadgen's request bytes with an Authorization header after the request line."""
    return raw.replace(b"\r\n", b"\r\nAuthorization: Bearer " + token + b"\r\n", 1)


@dataclass
class EndpointStats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    unmeasured: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def summary(self, elapsed: float) -> dict:
        lat = sorted(self.latencies)
        return {"requests": len(lat),
                "per_second": round(len(lat) / elapsed, 1) if elapsed else 0.0,
                "latency_ms": {"p50": loadgen.pct(lat, 50), "p90": loadgen.pct(lat, 90),
                               "p99": loadgen.pct(lat, 99),
                               "max": round(lat[-1] * 1000, 1) if lat else None},
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "ramp_up_and_warmup_statuses": {str(k): v for k, v in
                                                sorted(self.unmeasured.items())},
                "errors": dict(self.errors)}


@dataclass
class Created:
    order_id: str
    number: str
    shop_id: int
    items: dict[int, int]
    total: str


class Portal:
    """The load: browsing dealers and buying dealers, one loadgen client each.

    Browser loop: a search (a term of the vocabulary, sometimes a category, sometimes page
    2-5, sometimes another page size), the product page of one of its results, sometimes its
    stock. Buyer loop: 2-3 parts into the cart (1-3 each), the cart, the checkout with an
    idempotency key, sometimes that checkout again (must answer 200 with the same order),
    every fifth cycle the order list. An answer that is not what the client expects is an
    error; a buyer then clears its cart and starts over.

    loadgen measures a request when the window was open as it was issued; the window opens
    as the last client starts, right before that client's first request, so a request is
    measured once every client has issued one (all of them when there is no ramp-up).
    """

    def __init__(self, args, world: World, dealers: list[Dealer], port: int):
        self.args, self.world, self.dealers = args, world, dealers
        self.host = f"{HOST}:{port}"
        self.close = False  # the warm-up sends Connection: close (each request may reach
        # another worker)
        self.stats = {name: EndpointStats() for name in ENDPOINTS}
        self.search_by_matches: dict[str, list[float]] = {}
        self.search_by_kind: dict[str, list[float]] = {}
        self.created: list[Created] = []
        self.replayed = 0
        self.started: set[int] = set()
        self.window_open = False
        self.measure_all = args.ramp_up <= 0
        #: loadgen's pause after each answer (checkout_tracking.run_load passes it on).
        self.think = None
        self.think_mean = 0.0

    def begin_phase(self, think_mean: float, *, warmup: bool = False) -> None:
        """Fresh figures; dealers wait 0.5-1.5 x think_mean s after each answer (none in
        the warm-up); the window opens when every client has started."""
        self.stats = {name: EndpointStats() for name in ENDPOINTS}
        self.search_by_matches, self.search_by_kind = {}, {}
        self.started.clear()
        self.window_open = self.measure_all
        self.close = warmup
        self.think_mean = think_mean
        self.think = (lambda cid: self.dealers[cid].rng.uniform(0.5, 1.5) * think_mean) \
            if think_mean > 0 and not warmup else None

    # -- loadgen's callbacks

    def make_request(self, client_id: int) -> tuple[bytes, Pending]:
        dealer = self.dealers[client_id]
        if dealer.pending is not None:  # loadgen gave up on it: timeout or connection error
            self.stats[dealer.pending.endpoint].errors["no answer"] += 1
            self._went_wrong(dealer)
        self.started.add(client_id)
        if not self.window_open and len(self.started) == len(self.dealers):
            self.window_open = True
        if dealer.role == BROWSER:
            endpoint, method, path, body, data = self._browse(dealer)
        else:
            endpoint, method, path, body, data = self._buy(dealer)
        raw = loadgen.build_request(method, self.host, path,
                                    None if body is None else json.dumps(body).encode(),
                                    close=self.close)
        dealer.pending = Pending(endpoint, time.perf_counter(), self.window_open, data)
        return with_bearer(raw, dealer.token), dealer.pending

    def on_response(self, client_id: int, pending: Pending, status: int,
                    body: bytes) -> str | None:
        elapsed = time.perf_counter() - pending.t0
        dealer = self.dealers[client_id]
        dealer.pending = None
        stats = self.stats[pending.endpoint]
        if pending.measured:
            stats.latencies.append(elapsed)
            stats.statuses[status] += 1
        else:
            stats.unmeasured[status] += 1
        try:
            answer = json.loads(body) if body else {}
            check = getattr(self, "_on_" + pending.endpoint.replace(" ", "_"))
            problem = check(dealer, pending, status, answer, elapsed)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            problem = f"{pending.endpoint}: unreadable answer {status} ({type(error).__name__})"
        if problem:
            stats.errors[problem] += 1
            self._went_wrong(dealer)
        return problem

    # -- browsing

    def _browse(self, d: Dealer):
        rng = d.rng
        if d.step[0] == "product":
            return "product", "GET", f"/api/products/{d.step[1]}", None, {"id": d.step[1]}
        if d.step[0] == "stock":
            return ("stock", "GET", f"/api/products/{d.step[1]}/stock", None,
                    {"id": d.step[1]})
        kind, term = self.world.vocabulary.term(rng)
        query = {"search": term}
        if rng.random() < 0.2:
            query["category"] = rng.choice(("OIL", "SPARE_PART"))
        if rng.random() < 0.2:
            query["page"] = rng.randint(2, 5)
        if rng.random() < 0.2:
            query["per_page"] = rng.choice((10, 50))
        return ("search", "GET", "/api/products?" + urlencode(query), None,
                {"kind": kind, "query": query})

    def _on_search(self, d: Dealer, p: Pending, status: int, answer: dict,
                   elapsed: float) -> str | None:
        if status != 200:
            return f"search answered {status}"
        query, items = p.data["query"], answer["items"]
        needle = query["search"].lower()
        if any(needle not in f"{i['code']} {i['name']}".lower() for i in items):
            return "search answered a part without the term"
        if "category" in query and any(i["category"] != query["category"] for i in items):
            return "search answered a part of another category"
        if len(items) > query.get("per_page", 20):
            return "search answered more than a page"
        if p.measured:
            total = answer["pagination"]["total"]
            bucket = next(label for limit, label in MATCH_BUCKETS if total <= limit)
            self.search_by_matches.setdefault(bucket, []).append(elapsed)
            self.search_by_kind.setdefault(p.data["kind"], []).append(elapsed)
        d.step = ("product", d.rng.choice(items)["id"] if items
                  else d.rng.choice(self.world.buyable))
        return None

    def _on_product(self, d: Dealer, p: Pending, status: int, answer: dict,
                    elapsed: float) -> str | None:
        d.step = ("stock", p.data["id"]) if d.rng.random() < self.args.stock_fraction \
            else ("search",)
        if status != 200:
            return f"product page answered {status}"
        if answer["product"]["id"] != p.data["id"]:
            return "product page answered another part"
        return None

    def _on_stock(self, d: Dealer, p: Pending, status: int, answer: dict,
                  elapsed: float) -> str | None:
        d.step = ("search",)
        if status != 200:
            return f"stock answered {status}"
        if answer["product_id"] != p.data["id"] or \
                answer["stock"] != self.world.stock[p.data["id"]]:
            return "stock answered another part or another stock"
        return None

    # -- buying

    def _new_cycle(self, d: Dealer) -> list[tuple]:
        rng = d.rng
        d.cycles += 1
        parts = rng.sample(self.world.buyable, rng.randint(2, 3))
        key = f"b2b-{self.args.run_id}-{d.code}-{d.cycles}"
        plan = [("cart add", pid, rng.randint(1, 3)) for pid in parts]
        plan += [("cart view",), ("checkout", key)]
        if rng.random() < self.args.replay_fraction:
            plan.append(("checkout replay", key))
        if d.cycles % 5 == 0:
            plan.append(("orders",))
        return plan

    def _buy(self, d: Dealer):
        if not d.plan:
            d.plan = self._new_cycle(d)
        step = d.plan[0]
        name = step[0]
        if name == "cart add":
            return (name, "POST", "/api/cart/add", {"product_id": step[1], "qty": step[2]},
                    {"id": step[1], "qty": step[2]})
        if name == "cart view":
            return name, "GET", "/api/cart", None, {}
        if name in ("checkout", "checkout replay"):
            body = {"notes": f"Kirim ke {d.code}, bench", "idempotency_key": step[1]}
            return name, "POST", "/api/cart/checkout", body, {"key": step[1]}
        if name == "orders":
            return name, "GET", "/api/orders", None, {}
        return "cart clear", "DELETE", "/api/cart/clear", None, {}

    def _went_wrong(self, d: Dealer) -> None:
        """A buyer no longer knows its cart: clear it, then start a new cycle."""
        if d.role == BUYER:
            d.uncertain = True
            d.plan = [("cart clear",)]
        else:
            d.step = ("search",)

    def _cart_differs(self, d: Dealer, cart: dict) -> str | None:
        seen = {i["product_id"]: i["qty"] for i in cart["items"]}
        if seen != d.cart:
            return "cart differs from what the dealer put in"
        return None

    def _on_cart_add(self, d: Dealer, p: Pending, status: int, answer: dict,
                     elapsed: float) -> str | None:
        if status != 200:
            return f"cart add answered {status}"
        d.plan.pop(0)
        d.cart[p.data["id"]] = d.cart.get(p.data["id"], 0) + p.data["qty"]
        return self._cart_differs(d, answer["cart"])

    def _on_cart_view(self, d: Dealer, p: Pending, status: int, answer: dict,
                      elapsed: float) -> str | None:
        if status != 200:
            return f"cart view answered {status}"
        d.plan.pop(0)
        if not answer["cart"]["can_check_out"]:
            return "cart cannot be checked out"
        return self._cart_differs(d, answer["cart"])

    def _on_checkout(self, d: Dealer, p: Pending, status: int, answer: dict,
                     elapsed: float) -> str | None:
        if status != 201:
            return f"checkout answered {status}: {answer.get('code') or answer}"[:120]
        d.plan.pop(0)
        order = answer["order"]
        items = {i["product_id"]: i["qty"] for i in order["items"]}
        self.created.append(Created(order["id"], order["number"], d.shop_id, items,
                                    order["total"]))
        d.last_order = (order["id"], order["number"])
        expected, d.cart = d.cart, {}
        if d.plan and d.plan[0][0] == "checkout replay":
            d.plan[0] = (*d.plan[0], order["id"])
        if items != expected:
            return "order lines differ from the cart"
        if order["status"] != "PENDING" or not ORDER_NUMBER.fullmatch(order["number"]):
            return f"order {order['number']} {order['status']}"
        return None

    def _on_checkout_replay(self, d: Dealer, p: Pending, status: int, answer: dict,
                            elapsed: float) -> str | None:
        step = d.plan.pop(0)
        if status != 200:
            return f"checkout replay answered {status}"
        if len(step) < 3 or answer["order"]["id"] != step[2]:
            return "checkout replay answered another order"
        self.replayed += 1
        return None

    def _on_orders(self, d: Dealer, p: Pending, status: int, answer: dict,
                   elapsed: float) -> str | None:
        d.plan.pop(0)
        if status != 200:
            return f"orders answered {status}"
        if d.last_order and (not answer["items"]
                             or answer["items"][0]["number"] != d.last_order[1]):
            return "order list does not start with the dealer's last order"
        return None

    def _on_cart_clear(self, d: Dealer, p: Pending, status: int, answer: dict,
                       elapsed: float) -> str | None:
        if status != 200:
            return f"cart clear answered {status}"
        d.plan, d.cart = [], {}
        return None


# --------------------------------------------------------------------------- logins


class LoginStep:
    """One login call for every dealer, --login-clients at a time: request-otp, or
    verify-otp with the code the gateway received."""

    def __init__(self, dealers: list[Dealer], port: int, verify: bool):
        self.dealers, self.verify = dealers, verify
        self.host = f"{HOST}:{port}"
        self.next = 0

    def make_request(self, client_id: int) -> tuple[bytes, Dealer]:
        dealer = self.dealers[self.next]
        self.next += 1
        if self.verify:
            body, path = {"phone": dealer.written, "otp": dealer.otp}, "/api/auth/verify-otp"
        else:
            body, path = {"phone": dealer.written}, "/api/auth/request-otp"
        return loadgen.build_request("POST", self.host, path, json.dumps(body).encode()), dealer

    def on_response(self, client_id: int, dealer: Dealer, status: int,
                    body: bytes) -> str | None:
        answer = json.loads(body)
        if status != 200 or not answer.get("success"):
            return f"{'verify' if self.verify else 'request'}-otp answered {status}: " \
                   f"{answer.get('code')}"
        if self.verify:
            if answer["shop"]["code"] != dealer.code:
                return "verify-otp answered another shop"
            dealer.token = answer["token"].encode("ascii")
        return None


def log_in(args, dealers: list[Dealer], port: int, gateway: LocalGateway) -> dict:
    """Every dealer asks for a code, the worker sends them, each dealer reads its code at the
    gateway and trades it for a token. Returns the two steps' figures."""
    since = gateway.count()
    out = {}
    for verify in (False, True):
        if verify:
            codes = wait_for_codes(dealers, gateway, since, args.login_timeout)
            for dealer in dealers:
                dealer.otp = codes.get(dealer.phone)
            out["codes_received_s"] = codes.pop("_seconds")
            missing = [d.code for d in dealers if d.otp is None]
            if missing:
                raise RuntimeError(f"no code reached the gateway for {missing[:5]} ..."
                                   f" ({len(missing)} dealers)")
        step = LoginStep(dealers, port, verify)
        stats = asyncio.run(loadgen.run_phase(
            "verify-otp" if verify else "request-otp", host=HOST, port=port,
            clients=min(args.login_clients, len(dealers)), seconds=args.login_timeout,
            max_requests=len(dealers), make_request=step.make_request,
            on_response=step.on_response, request_timeout=args.request_timeout))
        out["verify-otp" if verify else "request-otp"] = stats.summary()
    return out


def wait_for_codes(dealers: list[Dealer], gateway: LocalGateway, since: int,
                   timeout: float) -> dict:
    """{phone: code} of the OTP messages at the gateway since `since` (the newest per
    phone), once every dealer has one or the time is up."""
    start = time.monotonic()
    wanted = {d.phone for d in dealers}
    codes: dict = {}
    for _ in range(int(timeout / 0.1) + 1):
        for phone, text in gateway.messages(since):
            found = OTP_IN_MESSAGE.search(text)
            if found and phone in wanted:
                codes[phone] = found.group(1)
        if len(codes) == len(wanted) or time.monotonic() - start > timeout:
            break
        time.sleep(0.1)
    codes["_seconds"] = round(time.monotonic() - start, 2)
    return codes


# --------------------------------------------------------------------------- checks


def check_database(args, world: World, portal: Portal, dealers: list[Dealer]) -> list:
    """The database against what the clients saw."""
    rows: list[tuple[str, bool, str]] = []

    def add(name: str, ok: bool, detail: str) -> None:
        rows.append((name, bool(ok), detail))

    from shop.services.notifications import SECRET_MASK

    created = {c.order_id: c for c in portal.created}
    year = str(datetime.now(UTC).year)
    with benchdb.connect(args.database_url) as conn:
        orders = conn.execute(
            "SELECT id, number, channel, status, shop_id, total::text FROM orders"
            " WHERE store_id = %s", (world.store_id,)).fetchall()
        add("orders in DB == successful checkouts (201)", len(orders) == len(created),
            f"{len(orders)} orders, {len(created)} answered 201")
        ids = {o[0] for o in orders}
        add("every answered order is in DB", set(created) <= ids,
            f"{len(set(created) - ids)} answered orders missing")
        wrong = [o for o in orders if o[2] != "b2b" or o[3] != "PENDING"]
        add("every order: channel b2b, status PENDING", not wrong,
            f"{len(wrong)} otherwise, e.g. {wrong[:1]}" if wrong else f"{len(orders)} orders")
        numbers = [o[1] for o in orders]
        bad = [n for n in numbers if not (ORDER_NUMBER.fullmatch(n) and n[4:8] == year)]
        add(f"every number ORD-{year}-NNNNNN, unique",
            not bad and len(set(numbers)) == len(numbers),
            f"{len(bad)} malformed, {len(numbers) - len(set(numbers))} duplicates"
            + (f", e.g. {bad[:2]}" if bad else ""))
        mismatch = [o[0] for o in orders if o[0] in created and (
            created[o[0]].number != o[1] or created[o[0]].shop_id != o[4]
            or Decimal(created[o[0]].total) != Decimal(o[5]))]
        add("each order has the number, shop and total the dealer was answered", not mismatch,
            f"{len(mismatch)} differ")
        lines: dict[str, dict[int, int]] = {}
        for order_id, product_id, qty in conn.execute(
                "SELECT order_id, product_id, qty FROM order_items WHERE order_id = ANY(%s)",
                (list(ids),)):
            lines.setdefault(order_id, {})[product_id] = qty
        differ = [i for i, c in created.items() if lines.get(i) != c.items]
        add("each order's lines are the cart the dealer filled", not differ,
            f"{len(differ)} differ" if differ else f"{sum(map(len, lines.values()))} lines")
        carts: dict[int, dict[int, int]] = {}
        for shop_id, product_id, qty in conn.execute(
                "SELECT c.shop_id, i.product_id, i.qty FROM cart_items i"
                " JOIN carts c ON c.id = i.cart_id"):
            carts.setdefault(shop_id, {})[product_id] = qty
        buyers = [d for d in dealers if d.role == BUYER]
        known = [d for d in buyers if not d.uncertain]
        off = [d.code for d in known if carts.get(d.shop_id, {}) != d.cart]
        emptied = sum(1 for d in known if not d.cart and not carts.get(d.shop_id))
        add("buyers' carts hold what the clients expect (emptied by each checkout)", not off,
            f"{len(off)} differ {off[:3]}" if off else
            f"{len(known)} buyers ({emptied} empty after their last checkout, the others "
            f"mid-cycle), {len(buyers) - len(known)} left out after an error")
        browsing = {d.shop_id for d in dealers if d.role == BROWSER}
        stray = sum(1 for s in carts if s in browsing) + sum(1 for o in orders
                                                            if o[4] in browsing)
        add("browsing dealers wrote no cart and no order", stray == 0, f"{stray} rows")
        alerts = Counter(order_id for (order_id,) in conn.execute(
            "SELECT order_id FROM notifications WHERE template = 'b2b_order_created'"))
        wrong_alerts = [i for i in ids if alerts.get(i) != len(world.admins)]
        add(f"each order queued its alert to the {len(world.admins)} admin numbers once",
            not wrong_alerts and set(alerts) <= ids,
            f"{len(wrong_alerts)} orders otherwise" if wrong_alerts else f"{len(ids)} orders")
        sessions = dict(conn.execute("SELECT shop_id, count(*) FROM shop_sessions"
                                     " GROUP BY shop_id").fetchall())
        ok_sessions = all(sessions.get(d.shop_id) == 1 for d in dealers)
        add("one session per dealer (each logged in once)", ok_sessions and
            len(sessions) == len(dealers), f"{len(sessions)} shops with sessions, "
            f"{sum(sessions.values())} sessions, {len(dealers)} dealers")
        otps, used = conn.execute("SELECT count(*), count(used_at) FROM otps").fetchone()
        add("one code per dealer, each used", otps == used == len(dealers),
            f"{otps} codes, {used} used")
        readable = conn.execute(
            "SELECT count(*) FROM notifications WHERE template = 'otp'"
            " AND (status <> 'sent' OR data->>'code' <> %s)", (SECRET_MASK,)).fetchone()[0]
        add("every OTP message sent, its code masked in the outbox", readable == 0,
            f"{readable} otherwise")
    return rows


def client_checks(args, result: dict) -> list[tuple[str, bool, str]]:
    """What the clients saw: no server errors, no broken connections, answers as expected."""
    phases = [(name, result.get("login", {}).get(name)) for name in ("request-otp",
                                                                     "verify-otp")]
    if args.warmup:
        phases.append(("warm-up", result.get("warmup")))
    phases += [(f"load, {p['label']}", p["load"]) for p in result["phases"]]
    if len(result["phases"]) < len(args.think):
        phases.append(("every load phase", None))
    rows = []
    for name, stats in phases:
        if stats is None:
            rows.append((f"{name} ran", False, result.get("error", "not run")))
            continue
        server = sum(v for key in ("statuses", "ramp_up_statuses")
                     for k, v in stats[key].items() if k.startswith("5"))
        rows.append((f"{name}: no 5xx, no connection errors, answers as expected",
                     not stats["errors"] and server == 0,
                     "; ".join(f"{k} x{v}" for k, v in list(stats["errors"].items())[:4])
                     or f"{stats['requests']} answers"))
    for phase in result["phases"]:
        counted = sum(s["requests"] for s in phase["endpoints"].values())
        rows.append((f"load, {phase['label']}: per-endpoint counts add up to loadgen's",
                     counted == phase["load"]["requests"],
                     f"{counted} by endpoint, {phase['load']['requests']} measured"))
    return rows


def check_messages(ctx: Context, after_id: int, since: int) -> list[tuple[str, bool, str]]:
    """The admin alerts the worker sent during and after the load, against the gateway."""
    rows = nt.phase_rows(ctx, after_id)
    sent = [r for r in rows if r["status"] == "sent"]
    checks = [("every alert sent (none queued, sending or failed)", len(sent) == len(rows),
               str(nt.status_counts(rows)))]
    records = ctx.gateway.records(since)
    matched = nt.match_gateway(rows, records)
    return checks + nt.gateway_checks(matched, records["bad_auth"], len(sent))


# --------------------------------------------------------------------------- SQL per request


def count_statements(app, world: World, dealers: list[Dealer]) -> dict:
    """The statements of one call of each endpoint, through Flask's test client in this
    process (sqlcount.Recorder), with the tokens of a browsing and a buying dealer."""
    from shop.extensions import db

    recorder = sqlcount.Recorder()
    with app.app_context():
        recorder.attach(db.engine)
    client = app.test_client()
    browser = next(d for d in dealers if d.role == BROWSER)
    buyer = next(d for d in dealers if d.role == BUYER)
    common, rare = world.vocabulary.common[0][0].lower(), world.vocabulary.rare[0]
    part = world.buyable[0]
    key = f"b2b-sqlcount-{os.getpid()}"
    scenarios = [
        ("search, most common word", browser, "GET", f"/api/products?search={common}", None),
        ("search, rare word", browser, "GET", f"/api/products?search={rare}", None),
        ("product page", browser, "GET", f"/api/products/{part}", None),
        ("stock", browser, "GET", f"/api/products/{part}/stock", None),
        ("cart clear", buyer, "DELETE", "/api/cart/clear", None),
        ("cart add", buyer, "POST", "/api/cart/add", {"product_id": part, "qty": 1}),
        ("cart view", buyer, "GET", "/api/cart", None),
        ("checkout", buyer, "POST", "/api/cart/checkout", {"idempotency_key": key}),
        ("checkout replay", buyer, "POST", "/api/cart/checkout", {"idempotency_key": key}),
        ("orders", buyer, "GET", "/api/orders", None),
    ]
    client.get(scenarios[0][3], headers={"Authorization": f"Bearer {browser.token.decode()}"})
    recorder.take()  # the first connection, the dialect's set-up
    out = {}
    for name, dealer, method, path, body in scenarios:
        answer = client.open(path, method=method, json=body,
                             headers={"Authorization": f"Bearer {dealer.token.decode()}"})
        out[name] = recorder.take() | {"status": answer.status_code}
    return out


# --------------------------------------------------------------------------- the search's plans


def explain_search(app, world: World) -> list[dict]:
    """The statements of one search_parts call per kind of term, each run once more under
    EXPLAIN ANALYZE, on the machine after the load: time, rows, whether the trigram index
    served it."""
    from sqlalchemy import event

    from shop.extensions import db
    from shop.models import Shop
    from shop.services.dealer_catalog import search_parts

    common = world.vocabulary.common[0][0]
    cases = [(f"most common word {common!r}", {"query": common}),
             (f"{common!r}, page 5", {"query": common, "page": 5}),
             (f"{common!r} in SPARE_PART", {"query": common, "category": "SPARE_PART"}),
             ("model 'vario'", {"query": "vario"}),
             (f"rare word {world.vocabulary.rare[0]!r}", {"query": world.vocabulary.rare[0]}),
             ("part number", {"query": world.vocabulary.codes[0]})]
    out = []
    with app.app_context():
        shop = db.session.get(Shop, world.shops[0][0])
        engine = db.engine
        for label, params in cases:
            captured: list = []

            def capture(conn, cursor, statement, parameters, context, executemany,
                        captured=captured):
                captured.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", capture)
            try:
                search_parts(shop, **params)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            timings = []
            for _ in range(5):
                t0 = time.perf_counter()
                page = search_parts(shop, **params)
                timings.append(time.perf_counter() - t0)
            row = {"case": label, "matches": page.total,
                   "search_parts_best_ms": round(min(timings) * 1000, 2),
                   "search_parts_median_ms": round(sorted(timings)[2] * 1000, 2),
                   "statements": []}
            conn = db.session.connection()
            for statement, parameters in captured:
                if "products" not in statement:
                    continue
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
                                            + statement, parameters).scalar()
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                text = json.dumps(plan)
                row["statements"].append({
                    "sql": " ".join(statement.split())[:160],
                    "execution_ms": plan["Execution Time"],
                    "planning_ms": plan["Planning Time"],
                    "top": plan["Plan"]["Node Type"],
                    "trigram_index": "ix_products_search_trgm" in text,
                    "nodes": sorted(set(re.findall(r'"Node Type": "([^"]+)"', text)))})
            db.session.rollback()
            out.append(row)
        db.session.remove()
    return out


# --------------------------------------------------------------------------- the run


def run(args, run_dir: Path) -> dict:
    result: dict = {"phases": []}
    app = build_app(args)
    print(f"rebuilding {benchdb.database_name(args.database_url)}: migrate, distributor, "
          f"{args.shops} shops, {args.parts:,} parts ...", flush=True)
    world = prepare(args, app)
    vocab = world.vocabulary
    result["data"] = {
        "seconds": world.seconds, "shops": len(world.shops), "parts": len(world.stock),
        "buyable_parts": len(world.buyable),
        "stock": {"zero": sum(1 for s in world.stock.values() if s == 0),
                  "unknown": sum(1 for s in world.stock.values() if s is None)},
        "common_words": vocab.common[:10], "rare_words": len(vocab.rare)}
    print(f"  done in {world.seconds} s: {len(world.stock):,} parts ({len(world.buyable):,} "
          f"with stock >= 10), most common words {vocab.common[:5]}", flush=True)
    gateway = LocalGateway()
    ctx = Context(args, run_dir, gateway)
    ctx.redis.ping()
    ctx.redis.flushdb()
    roles = assign_roles(args.clients, args.buyers)
    dealers = [Dealer(shop_id, code, phone, written_phone(phone, n), roles[n],
                      random.Random(args.seed * 7919 + n))
               for n, (shop_id, code, phone) in enumerate(world.shops[:args.clients])]
    server = pool = meter = portal = None
    try:
        pool = nt.Workers(ctx, args.rq_workers, burst=False, label="b2b")
        pool.wait_registered()
        server = ct.Gunicorn(args.database_url, "balanced", args.workers, args.threads,
                             run_dir / "gunicorn.log")
        server.env = nt.app_env(ctx, redis=True)
        server.start()
        print(f"gunicorn (balanced gthread) -w {args.workers} --threads {args.threads} on port "
              f"{server.port}, {args.rq_workers} RQ worker(s), gateway on {gateway.port}; "
              f"logging in {len(dealers)} dealers by WhatsApp OTP ...", flush=True)
        result["login"] = log_in(args, dealers, server.port, gateway)
        meter = procstats.CpuMeter(benchdb.plain_url(args.database_url),
                                   benchdb.database_name(args.database_url), server.proc.pid)
        after_id, since = nt.max_id(ctx), gateway.count()
        portal = Portal(args, world, dealers, server.port)
        if args.warmup:
            portal.begin_phase(0, warmup=True)
            warm = ct.run_load(args, "warmup", server.port, portal, args.warmup, args.seconds)
            result["warmup"] = warm.summary()
        for think in args.think:
            result["phases"].append(load_phase(args, think, server, meter, portal, pool,
                                               run_dir))
        server.stop()
        result["messages_drained_s"] = round(nt.wait_finished(ctx, after_id, None,
                                                              args.drain_timeout), 2)
        pool.stop()
        if args.py_spy:
            result["rq_worker_profiles"] = pool.profiles()
        result["message_checks"] = check_messages(ctx, after_id, since)
    except RuntimeError as error:
        result["error"] = str(error)
        print(f"ERROR: {error}", flush=True)
    finally:
        if server is not None:
            server.stop()
        if pool is not None:
            pool.stop()
        if meter is not None:
            meter.close()
        gateway.stop()
        ctx.redis.flushdb()
    checks = client_checks(args, result)
    if portal is not None:
        checks += check_database(args, world, portal, dealers)
    checks += result.pop("message_checks", [])
    result["checks"] = [{"check": n, "pass": bool(ok), "detail": d} for n, ok, d in checks]
    if args.sql_count and result["phases"]:
        result["sql_per_request"] = count_statements(app, world, dealers)
        ctx.redis.flushdb()
    if args.explain and result["phases"]:
        print("explaining the search's statements ...", flush=True)
        result["explain"] = explain_search(app, world)
    return result


def load_phase(args, think: float, server: ct.Gunicorn, meter: procstats.CpuMeter,
               portal: Portal, pool: nt.Workers, run_dir: Path) -> dict:
    """One measured load: both populations at once, dealers thinking `think` s on average."""
    label = f"think {think:g} s" if think else "no think time"
    orders_before = len(portal.created)
    replayed_before = portal.replayed
    portal.begin_phase(think)
    print(f"load, {label}: {args.browsers} dealers browsing, {args.buyers} checking out, "
          f"{args.seconds:g} s or {args.max_requests:,} requests ...", flush=True)
    worker_cpu0 = sum(procstats.process_cpu(pid) or 0.0 for pid in pool.pids())
    stats, cpu, profile = ct.measured(args, "load", server, meter, portal, run_dir,
                                      f"think{think:g}")
    cpu["rq_workers_s"] = round(sum(procstats.process_cpu(pid) or 0.0
                                    for pid in pool.pids()) - worker_cpu0, 2)
    ours = cpu["app_cpu_s"] + cpu["db_cpu_s"] + cpu["client_cpu_s"] + cpu["rq_workers_s"]
    others = max(cpu["machine_busy_s"] - ours, 0.0)
    cpu["others_s"] = round(others, 2)
    cpu["others_pct_of_machine"] = round(100 * others / cpu["machine_capacity_s"], 1) \
        if cpu["machine_capacity_s"] else None
    cpu["loadavg_end"] = round(os.getloadavg()[0], 2)
    window_orders = portal.stats["checkout"].statuses.get(201, 0)
    return {
        "label": label, "think_s": think, "load": stats.summary() | {"cpu": cpu,
                                                                     "profile": profile},
        "endpoints": {name: s.summary(stats.elapsed) for name, s in portal.stats.items()},
        "orders": {
            "in_window": window_orders,
            "per_second": round(window_orders / stats.elapsed, 1) if stats.elapsed else 0.0,
            "in_phase_with_ramp_up": len(portal.created) - orders_before,
            "replays_answered_same_order": portal.replayed - replayed_before},
        "search_by_matches": {k: nt.latency(v) for k, v in sorted(
            portal.search_by_matches.items(), key=lambda kv: bucket_order(kv[0]))},
        "search_by_kind": {k: nt.latency(v) for k, v in sorted(portal.search_by_kind.items())},
    }


def bucket_order(label: str) -> int:
    return [lab for _, lab in MATCH_BUCKETS].index(label)


# --------------------------------------------------------------------------- report


def report_phase(args, phase: dict) -> None:
    load = phase["load"]
    think = (f"each dealer waits {phase['think_s'] * 0.5:g}-{phase['think_s'] * 1.5:g} s "
             "after every answer" if phase["think_s"] else "no wait between requests")
    print(f"\n-- load, {phase['label']}: {args.browsers} browsing + {args.buyers} checking "
          f"out ({think}), gunicorn {args.workers}x{args.threads}: "
          f"{load['requests']} requests in {load['elapsed_s']} s ({load['per_second']}/s), "
          f"stopped by {load['stopped_by']} --")
    print(f"  {'endpoint':16s} {'requests':>8s} {'req/s':>7s} {'p50 ms':>7s} "
          f"{'p90 ms':>7s} {'p99 ms':>7s} {'max ms':>7s} {'errors':>6s}  statuses")
    for name, s in phase["endpoints"].items():
        if not s["requests"] and not s["errors"]:
            continue
        lat = s["latency_ms"]
        print(f"  {name:16s} {s['requests']:8d} {s['per_second']:7.1f} "
              f"{lat['p50']!s:>7s} {lat['p90']!s:>7s} {lat['p99']!s:>7s} "
              f"{lat['max']!s:>7s} {sum(s['errors'].values()):6d}  {s['statuses']}")
    orders = phase["orders"]
    print(f"  orders: {orders['per_second']}/s in the window ({orders['in_window']}; "
          f"{orders['in_phase_with_ramp_up']} with the ramp-up), "
          f"{orders['replays_answered_same_order']} replayed keys answered their order")
    search = phase["endpoints"]["search"]["latency_ms"]["p99"]
    goal = TARGETS["search_p99_ms"]
    verdict = "-" if search is None else (
        f"{'meets' if search < goal else 'misses'} it ({search / goal:.2f}x)")
    print(f"  search p99 {search} ms against the goal < {goal} ms: {verdict} "
          "(informational, not a pass/fail check)")
    print("  search by matches: " + "; ".join(
        f"{k}: p50 {v['p50']} / p99 {v['p99']} ms ({v['count']})"
        for k, v in phase["search_by_matches"].items()))
    print("  search by term   : " + "; ".join(
        f"{k}: p50 {v['p50']} / p99 {v['p99']} ms ({v['count']})"
        for k, v in phase["search_by_kind"].items()))
    cpu = load["cpu"]
    ct.print_cpu(cpu)
    print(f"              RQ worker CPU {cpu.get('rq_workers_s')} s; other processes (other "
          f"work on the machine, PostgreSQL's background) {cpu.get('others_s')} s = "
          f"{cpu.get('others_pct_of_machine')}% of the machine; load average at the end "
          f"{cpu.get('loadavg_end')}")
    profile = load.get("profile")
    if profile and profile.get("samples"):
        print(f"  py-spy gunicorn workers ({profile['samples']} samples, {profile['raw']}):")
        print("    self time by package: " + ", ".join(
            f"{k} {v}%" for k, v in profile["self_by_package_pct"][:10]))
        print("    by innermost app function (with the library calls it makes):")
        for name, share in profile["by_innermost_app_function_pct"][:15]:
            print(f"      {share:5.1f}%  {name}")
        print("    hottest functions (self):")
        for name, share in profile["self_pct"][:10]:
            print(f"      {share:5.1f}%  {name}")


def report(args, result: dict) -> None:
    print("\n================ results ================")
    print(f"RATELIMIT_ENABLED=false: the API's {args.api_limit} per shop would otherwise cap "
          "every dealer at one call a second")
    if "error" in result:
        print(f"ERROR: {result['error'][:2000]}")
    login = result.get("login", {})
    for name in ("request-otp", "verify-otp"):
        s = login.get(name)
        if s:
            print(f"  login {name:11s}: {s['requests']} in {s['elapsed_s']} s, "
                  f"{args.login_clients} at a time, {ct.fmt_latency(s['latency_ms'])}")
    if "codes_received_s" in login:
        print(f"  codes at the gateway {login['codes_received_s']} s after the last request")
    for phase in result["phases"]:
        report_phase(args, phase)
    if "messages_drained_s" in result:
        print(f"  admin alerts: all final {result['messages_drained_s']} s after the load")
    counts = result.get("sql_per_request") or {}
    if counts:
        print("\n-- SQL per request (one call each, in-process, sqlcount.Recorder) --")
    for name, row in counts.items():
        print(f"  {name:26s} {row['status']}: {row['statements']:2d} statements + "
              f"{row['transaction_control']} transaction control")
    if args.sql_detail:
        for name, row in counts.items():
            print(f"  {name}:")
            for line in row["sequence"]:
                print(f"      {line}")
    if result.get("explain"):
        print("\n-- the search's statements, EXPLAIN ANALYZE after the load --")
    for row in result.get("explain", []):
        print(f"  search {row['case']}: {row['matches']:,} matches, search_parts in this "
              f"process best {row['search_parts_best_ms']} ms, median "
              f"{row['search_parts_median_ms']} ms")
        for st in row["statements"]:
            index = "trigram index" if st["trigram_index"] else "no trigram index"
            print(f"      {st['execution_ms']:7.2f} ms, {index}: {', '.join(st['nodes'])}"
                  f" | {st['sql'][:60]}")
    ct.print_checks(result.get("checks", []))


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url",
                   default=os.environ.get("BENCH_B2B_DATABASE_URL", DEFAULT_URL),
                   help="dedicated database (created if missing); its public schema is "
                        "DROPPED (the name must contain bench)")
    p.add_argument("--redis-url", default=os.environ.get("BENCH_B2B_REDIS_URL", DEFAULT_REDIS),
                   help="a Redis database of its own: FLUSHED at the start and the end")
    p.add_argument("--browsers", type=int, default=100, help="dealers browsing")
    p.add_argument("--buyers", type=int, default=20, help="dealers filling carts, checking out")
    p.add_argument("--shops", type=int, default=120,
                   help="dealer shops in the database (at least browsers + buyers)")
    p.add_argument("--parts", type=int, default=50_000, help="parts of the distributor")
    p.add_argument("--seconds", type=float, default=30, help="time bound of each load phase")
    p.add_argument("--think", default="1,0",
                   help="comma-separated mean think times, one load phase each: a dealer "
                        "waits 0.5-1.5 x this many seconds after every answer (a person "
                        "reading); 0: no wait, what the server can do")
    p.add_argument("--max-requests", type=int, default=200_000,
                   help="count bound of the load (and of the warm-up)")
    p.add_argument("--warmup", type=int, default=240,
                   help="requests before the load, on fresh connections, not measured")
    p.add_argument("--ramp-up", type=float, default=2.0,
                   help="the dealers start one by one over this many seconds before the "
                        "measured window (0: all at once)")
    p.add_argument("--stock-fraction", type=float, default=0.35,
                   help="product pages followed by the stock endpoint")
    p.add_argument("--replay-fraction", type=float, default=0.2,
                   help="checkouts sent again with their key (must answer the same order)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    p.add_argument("--threads", type=int, default=2, help="threads per gunicorn process")
    p.add_argument("--rq-workers", type=int, default=1,
                   help="RQ workers running (they send the OTP codes and the admin alerts)")
    p.add_argument("--login-clients", type=int, default=8,
                   help="logins in parallel (each dealer logs in once)")
    p.add_argument("--login-timeout", type=float, default=60,
                   help="bound of each login step and of the wait for the codes")
    p.add_argument("--request-timeout", type=float, default=30,
                   help="seconds before a request counts as an error (timeout)")
    p.add_argument("--drain-timeout", type=float, default=60,
                   help="how long to wait after the load for the last admin alerts")
    p.add_argument("--no-sql-count", dest="sql_count", action="store_false",
                   help="skip counting the statements of one call of each endpoint")
    p.add_argument("--no-explain", dest="explain", action="store_false",
                   help="skip EXPLAIN ANALYZE of the search's statements after the load")
    p.add_argument("--sql-detail", action="store_true",
                   help="print every statement of the SQL count")
    p.add_argument("--seed", type=int, default=1, help="seed of the data and the mix")
    p.add_argument("--py-spy", action="store_true",
                   help="profile the gunicorn workers during the load (pip install py-spy)")
    p.add_argument("--py-spy-rate", type=int, default=100, help="py-spy samples per second")
    p.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results",
                   help="where each run writes results.json, logs and profiles")
    args = p.parse_args(argv)
    args.clients = args.browsers + args.buyers
    try:
        args.think = [float(x) for x in args.think.split(",") if x.strip()]
    except ValueError:
        p.error("--think is comma-separated seconds")
    if not args.think or min(args.think) < 0 or max(args.think) * 1.5 >= KEEP_ALIVE:
        p.error(f"--think: one or more means from 0 to {KEEP_ALIVE / 1.5:.1f} s (gunicorn "
                f"closes a connection idle for {KEEP_ALIVE} s)")
    if min(args.browsers, args.buyers, args.parts, args.login_clients, args.workers,
           args.threads, args.rq_workers, args.max_requests) < 1 or args.seconds <= 0:
        p.error("counts and --seconds must be positive")
    if args.shops < args.clients:
        p.error("--shops must be at least --browsers + --buyers (each dealer logs in once)")
    if args.py_spy and shutil.which("py-spy") is None:
        p.error("--py-spy needs py-spy on PATH: pip install py-spy")
    benchdb.refuse_unless_bench(args.database_url)
    if benchdb.database_name(args.database_url) in OTHERS_DATABASES:
        p.error(f"{benchdb.database_name(args.database_url)} belongs to another benchmark: "
                "use a database of its own")
    nt.redis_db(args.redis_url)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for name in nt.FOREIGN_SETTINGS:  # nothing started from here may inherit them
        os.environ.pop(name, None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = args.results_dir / f"b2b-portal-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    args.run_id = stamp
    sys.path.insert(0, str(ROOT))
    # One key for every process of the run (verify-otp checks the code's HMAC under it), and
    # the embedded ERP file of this run (nothing here reads it; it must not be the instance's).
    os.environ.setdefault("SECRET_KEY", "bench-" + os.urandom(16).hex())
    os.environ["LEGACY_DATABASE_URL"] = f"sqlite:///{run_dir / 'legacy.db'}"
    from shop.config import load_config

    args.api_limit = load_config(str(run_dir))["PORTAL_API_RATE_LIMIT"]
    load0 = os.getloadavg()
    print(f"B2B portal benchmark, {os.cpu_count()} CPUs, load average {load0[0]:.2f}; "
          f"database {benchdb.database_name(args.database_url)}, Redis db "
          f"{nt.redis_db(args.redis_url)}; results in {run_dir}", flush=True)
    nt.ensure_database(args.database_url)
    output: dict = {"started": stamp, "args": {k: str(v) for k, v in vars(args).items()},
                    "cpus": os.cpu_count(), "loadavg_start": load0, "issue_targets": TARGETS}
    output |= run(args, run_dir)
    output["loadavg_end"] = os.getloadavg()
    print(f"\nload average at start {load0[0]:.2f}, at end {output['loadavg_end'][0]:.2f} "
          "(other work on the machine makes absolute figures noisy)")
    report(args, output)
    path = run_dir / "results.json"
    path.write_text(json.dumps(output, indent=2, default=str))
    failed = [c for c in output["checks"] if not c["pass"]]
    print(f"\nJSON: {path}")
    print(f"{len(output['checks']) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except benchdb.psycopg.OperationalError as error:
        sys.exit(f"database unavailable: {error}")
