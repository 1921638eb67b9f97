"""Checkout is rate limited per client address, with a readable answer."""

import pytest
from sqlalchemy import func, select

from shop.extensions import db, limiter
from shop.models import Order

from .conftest import make_test_app
from .factories import Factories


@pytest.fixture(autouse=True)
def limits_off_afterwards(tmp_path):
    """The limiter is one object, bound by the last app made: leave it bound to an app with
    limits off, as every other test app is, so no later test meets this test's limits."""
    yield
    make_test_app(f"sqlite:///{tmp_path / 'after.db'}")
    assert limiter.enabled is False


def test_too_many_checkouts_from_one_address_get_a_clear_429(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'limit.db'}", RATELIMIT_ENABLED=True,
                        CHECKOUT_RATE_LIMIT="3 per minute", PROXY_COUNT=1)
    with app.app_context():
        db.create_all()
        store = Factories().store("warung")
        Factories().product(store, "TEH", "5000")
        client = app.test_client()
        body = {"store": "warung", "name": "Budi", "phone": "081234567890", "address": "Jl. A",
                "items": [{"code": "TEH", "qty": 1}]}
        first_client = {"X-Forwarded-For": "10.0.0.1"}
        answers = [client.post("/api/orders/create-from-checkout", json=body,
                               headers=first_client).status_code for _ in range(4)]
        assert answers == [201, 201, 201, 429]
        refused = client.post("/api/orders/create-from-checkout", json=body, headers=first_client)
        assert refused.json["code"] == "rate_limited" and "coba lagi" in refused.json["error"]
        other = client.post("/api/orders/create-from-checkout", json=body,
                            headers={"X-Forwarded-For": "10.0.0.2"})
        assert other.status_code == 201
        assert db.session.scalar(select(func.count()).select_from(Order)) == 4
        db.session.remove()
        db.engine.dispose()
