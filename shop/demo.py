"""Demo data: the burgerchina store with its menu and admins, and for the screens a few
hundred customers and orders of the last 60 days in every status and channel, with
payments, shipments and product photos. Idempotent: a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select, update

from . import clock
from .errors import ShopError
from .extensions import db
from .models import (
    Channel,
    Customer,
    CustomerType,
    Gender,
    Notification,
    NotificationStatus,
    Order,
    OrderEvent,
    OrderStatus,
    Product,
    Store,
)
from .services.checkout import CheckoutRequest, place_order

FIRST = ("Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Putri", "Joko", "Wati", "Eko", "Sri",
         "Bayu", "Indah", "Rudi", "Maya", "Hendra", "Lina", "Fajar", "Nur", "Yoga")
LAST = ("Santoso", "Wijaya", "Pratama", "Saputra", "Lestari", "Hidayat", "Kusuma", "Nugroho",
        "Rahmawati", "Setiawan", "Susanto", "Permata", "Halim", "Gunawan")
CITIES = (("Jakarta Barat", "DKI Jakarta"), ("Bandung", "Jawa Barat"), ("Surabaya", "Jawa Timur"),
          ("Depok", "Jawa Barat"), ("Tangerang", "Banten"), ("Bekasi", "Jawa Barat"))
STREETS = ("Jl. Sudirman", "Jl. Gajah Mada", "Jl. Merdeka", "Jl. Diponegoro", "Jl. Asia Afrika")
#: (final status, payment PAID?, share of the orders)
OUTCOMES = (
    (OrderStatus.PENDING, False, 12), (OrderStatus.CONFIRMED, False, 6),
    (OrderStatus.PROCESSING, True, 8), (OrderStatus.SHIPPED, True, 8),
    (OrderStatus.DELIVERED, True, 5), (OrderStatus.COMPLETED, True, 45),
    (OrderStatus.CANCELLED, False, 8), (OrderStatus.REJECTED, False, 4),
    (OrderStatus.REFUNDED, True, 4),
)
#: The path to each final status through the one status machine.
PATHS = {
    OrderStatus.PENDING: (), OrderStatus.CONFIRMED: (OrderStatus.CONFIRMED,),
    OrderStatus.PROCESSING: (OrderStatus.CONFIRMED, OrderStatus.PROCESSING),
    OrderStatus.SHIPPED: (OrderStatus.PROCESSING, "ship"),
    OrderStatus.DELIVERED: (OrderStatus.PROCESSING, "ship", OrderStatus.DELIVERED),
    OrderStatus.COMPLETED: (OrderStatus.PROCESSING, "ship", OrderStatus.COMPLETED),
    OrderStatus.CANCELLED: (OrderStatus.CANCELLED,), OrderStatus.REJECTED: (OrderStatus.REJECTED,),
    OrderStatus.REFUNDED: (OrderStatus.PROCESSING, OrderStatus.COMPLETED, OrderStatus.REFUNDED),
}
CHANNELS = ((Channel.STOREFRONT, 60), (Channel.WHATSAPP, 20), (Channel.ADMIN, 15),
            (Channel.BOT, 5))
ACTOR = "admin:admin@burgerchina.test"


def seed_demo_activity(store: Store, *, customers: int = 300, orders: int = 360,
                       seed: int = 2026) -> int:
    """Customers and orders of the last 60 days for the demo store; returns the number of
    orders added (0 when the store already has its demo activity)."""
    if db.session.scalar(select(func.count()).select_from(Order)
                         .where(Order.store_id == store.id)) >= orders // 2:
        return 0
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
    people = _demo_customers(store, rng, customers)
    menu = list(db.session.scalars(select(Product).where(
        Product.store_id == store.id, Product.is_active.is_(True), Product.stock.is_(None))))
    now = clock.now()
    first_message = db.session.scalar(select(func.max(Notification.id))) or 0
    made = 0
    for n in range(orders):
        placed_at = now - timedelta(days=60 * (1 - n / orders), hours=rng.randint(0, 10),
                                    minutes=rng.randint(0, 59))
        if _demo_order(store, rng, people, menu, placed_at):
            made += 1
    # The history is made up, and so are its phone numbers: its messages are never sent (a
    # configured gateway would write to strangers), and the outbox says why.
    db.session.execute(
        update(Notification).where(Notification.id > first_message,
                                   Notification.store_id == store.id,
                                   Notification.status == NotificationStatus.QUEUED)
        .values(status=NotificationStatus.SUPPRESSED,
                last_error="demo history: made-up orders and numbers, never sent"))
    return made


def _demo_customers(store: Store, rng: random.Random, count: int) -> list[Customer]:
    people = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, province = rng.choice(CITIES)
        kind = rng.choices(list(CustomerType), weights=(70, 24, 6))[0]
        people.append(Customer(
            store_id=store.id, name=f"{first} {last}", phone=f"62812{70000000 + n * 37:08d}",
            email=f"{first.lower()}.{last.lower()}{n}@contoh.id" if n % 3 else None,
            address=f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}", city=city,
            province=province, postal_code=f"{rng.randint(10000, 69999)}", type=kind,
            gender=rng.choice(list(Gender)[:2]),
            birth_date=date(rng.randint(1965, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        ))
    db.session.add_all(people)
    db.session.flush()
    return people


def _demo_order(store, rng, people, menu, placed_at) -> bool:
    """One order placed at `placed_at` and walked to a drawn outcome; False if refused."""
    catering = rng.random() < 0.12  # big orders of a few regulars: the VIPs of the CRM
    person = rng.choice(people[:8]) if catering else rng.choice(people)
    most = 60 if catering else 3
    lines = [(p.code, rng.randint(1, most)) for p in rng.sample(menu, rng.randint(1, 3))]
    channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
    final, paid, _ = rng.choices(OUTCOMES, weights=[w for *_, w in OUTCOMES])[0]
    age = clock.now() - placed_at
    if age < timedelta(days=2):
        final, paid = rng.choice(((OrderStatus.PENDING, False), (OrderStatus.PENDING, False),
                                  (OrderStatus.CONFIRMED, False), (OrderStatus.PROCESSING, True)))
    elif age > timedelta(days=7) and final in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        final, paid = OrderStatus.COMPLETED, True  # old orders are settled by now
    try:
        with db.session.begin_nested():
            placed = place_order(store, CheckoutRequest(
                name=person.name, phone=person.phone, address=person.address, items=lines,
                email=person.email, courier=rng.choice(store.couriers or [None]),
                payment_method=rng.choice(("bank_transfer", "bank_transfer", "e_wallet", "cod")),
                channel=channel, actor="customer" if channel != Channel.ADMIN else ACTOR,
                placed_at=placed_at), base_url="")
            order = db.session.get(Order, placed.id)
            _walk(order, final, paid, rng)
            _backdate(order, placed_at, rng)
    except ShopError:
        return False
    return True


def _walk(order: Order, final: OrderStatus, paid: bool, rng: random.Random) -> None:
    from .services.orders import set_payment_status, transition
    from .services.payment_records import record_payment
    from .services.shipping import add_shipment

    steps = list(PATHS[final])
    for step in steps:
        if step == "ship":
            add_shipment(order, rng.choice(("jne", "sicepat", "tiki", "pos")),
                         f"DEMO{rng.randint(10**9, 10**10 - 1)}", actor=ACTOR, base_url="")
        else:
            if step in (OrderStatus.COMPLETED, OrderStatus.REFUNDED) and paid \
                    and order.payment_status.value == "PENDING":
                record_payment(order, method=order.payment_method or "cod", amount=order.total,
                               reference=f"DEMO-{rng.randint(1000, 9999)}", actor=ACTOR,
                               base_url="")
            note = "Stok habis" if step in (OrderStatus.CANCELLED, OrderStatus.REJECTED) else None
            transition(order, step, actor=ACTOR, note=note, base_url="")
            if step == OrderStatus.REFUNDED:
                set_payment_status(order, "REFUNDED", actor=ACTOR, note="Dana dikembalikan",
                                   base_url="")
    if paid and order.payment_status.value == "PENDING" and final != OrderStatus.CANCELLED:
        record_payment(order, method=order.payment_method or "cod", amount=order.total,
                       reference=f"DEMO-{rng.randint(1000, 9999)}", actor=ACTOR, base_url="")


def _backdate(order: Order, placed_at, rng: random.Random) -> None:
    """Spread the order's events over the hours after it was placed, as if it had lived."""
    events = db.session.scalars(select(OrderEvent.id).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.id)).all()
    at = placed_at
    for event_id in events:
        db.session.execute(update(OrderEvent).where(OrderEvent.id == event_id)
                           .values(created_at=at))
        at += timedelta(hours=rng.randint(1, 20))
    db.session.execute(update(Order).where(Order.id == order.id).values(
        created_at=placed_at, updated_at=min(at, clock.now())))


#: A colour per category for the demo photos.
COLOURS = {"Burger": (214, 124, 38), "Snack": (226, 182, 40), "Minuman": (52, 132, 196),
           "Dessert": (176, 84, 150)}


def seed_demo_photos(store: Store) -> int:
    """A drawn photo for each product that has none (the demo has no real pictures), and one
    transfer proof waiting for the admin; returns the photos added."""
    from .services.catalog import add_photos

    added = 0
    for product in db.session.scalars(select(Product).where(Product.store_id == store.id)):
        if not product.photos:
            add_photos(product, [_drawn_photo(product)])
            added += 1
    _demo_proof(store)
    return added


def _drawn_photo(product: Product):
    """A 800 x 600 PNG: the category's colour and the product's initials."""
    import io

    from PIL import Image, ImageDraw
    from werkzeug.datastructures import FileStorage

    image = Image.new("RGB", (800, 600), COLOURS.get(product.category or "", (90, 90, 90)))
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in product.name.split()[:2]).upper()
    draw.ellipse((250, 150, 550, 450), fill=(255, 255, 255))
    draw.text((400, 300), initials, fill=(40, 40, 40), anchor="mm", font_size=120)
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return FileStorage(out, filename=f"{product.code.lower()}.png", content_type="image/png")


def _demo_proof(store: Store) -> None:
    """The newest unpaid bank-transfer order gets a transfer proof to review."""
    from .models import Payment, PaymentStatus
    from .services.transfer_proofs import proof_folder, submit_transfer_proof
    from .services.uploads import save_image

    if db.session.scalar(select(func.count()).select_from(Payment).join(Order).where(
            Order.store_id == store.id, Payment.proof.is_not(None))):
        return
    order = db.session.scalar(select(Order).where(
        Order.store_id == store.id, Order.payment_status == PaymentStatus.PENDING,
        Order.payment_method == "bank_transfer", Order.status == OrderStatus.PENDING)
        .order_by(Order.created_at.desc()).limit(1))
    if order is None:
        return
    photo = _drawn_photo(Product(name="Bukti Transfer", code="proof", category=None))
    stored = save_image(photo, folder=proof_folder(), field="proof")
    submit_transfer_proof(order, stored.filename)
