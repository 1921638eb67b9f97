"""Portal fixtures: two dealer shops of one distributor, sessions opened the way a login
opens them (a code asked for, read from its outbox row before it is sent, verified), and
clients signed in by cookie (pages) or bearer token (API)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from shop.extensions import db
from shop.models import Notification, Product, Shop, Store
from shop.services import dealer_cart
from shop.services.otp import request_otp, verify_otp
from shop.services.otp_limits import MemoryLimits, OtpRules
from shop.unit_of_work import commit

from ..admin.conftest import login_as, make_admin  # noqa: F401 - admins beside dealers

COOKIE = "portal_session"


@pytest.fixture(autouse=True)
def fresh_otp_limits(app):
    """Every test starts with no code requested and no wrong code counted."""
    saved = app.extensions.get("shop_otp_limits")
    app.extensions["shop_otp_limits"] = MemoryLimits(OtpRules.from_config(app.config))
    yield
    if saved is None:
        app.extensions.pop("shop_otp_limits", None)
    else:
        app.extensions["shop_otp_limits"] = saved


@pytest.fixture
def shop(make) -> Shop:
    """TK001 Toko Jaya Motor of the PMO distributor (seed 004), phone 628123456789."""
    return make.dealer_shop()


@pytest.fixture
def other_shop(make, shop) -> Shop:
    """TK002, another dealer of the same distributor."""
    return make.dealer_shop(shop.store, code="TK002", phone="628123456780",
                            name="Toko Sumber Rejeki")


def part(store: Store, code: str) -> Product:
    return db.session.scalar(select(Product).where(Product.store_id == store.id,
                                                   Product.code == code))


def otp_rows(phone: str) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(
        Notification.recipient == phone, Notification.template == "otp")
        .order_by(Notification.id)))


def last_code(phone: str) -> str:
    """The newest code sent to this number, from its outbox row (not yet sent)."""
    return otp_rows(phone)[-1].data["code"]


def open_session(shop: Shop) -> str:
    """A session token of the shop, made by asking for a code and giving it back."""
    sent = request_otp(phone=shop.phone)
    code = last_code(shop.phone)  # read before the commit sends it (and masks it)
    token = verify_otp(login=sent.login, code=code).token
    commit()
    return token


@pytest.fixture
def hold_messages(monkeypatch) -> list:
    """Outbox rows stay queued (their delivery is recorded, not run), so a test can read
    the code a login sent."""
    held: list = []
    monkeypatch.setattr("shop.jobs.deliver_soon",
                        lambda ids, queue_name="default": held.append((list(ids), queue_name)))
    return held


@pytest.fixture
def token(shop) -> str:
    return open_session(shop)


@pytest.fixture
def dealer(app, client, token) -> FlaskClient:
    """The test client, signed in on the pages as TK001 (its cookie holds the token)."""
    client.set_cookie(COOKIE, token, path="/portal")
    return client


@pytest.fixture
def api(client, token) -> Callable[..., object]:
    """api(method, path, json=None, token=...) -> the response of a bearer-signed call."""

    def call(method: str, path: str, json=None, token: str | None = token, headers=None):
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return client.open(path, method=method, json=json, headers=sent)

    return call


def fill_cart(shop: Shop, *items: tuple[str, int]) -> list[int]:
    """Put parts in the shop's cart (committed); the cart item ids."""
    ids = [dealer_cart.add_to_cart(shop, part(shop.store, code).id, qty).id
           for code, qty in items]
    commit()
    return ids
