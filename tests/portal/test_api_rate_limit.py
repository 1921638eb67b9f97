"""The dealer API allows 60 calls a minute per shop (seed 004 section 7), counted by the
shop of the bearer token, whichever endpoint, session or address the calls come from."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shop import clock
from shop.extensions import db, limiter

from ..conftest import make_test_app
from ..factories import Factories
from .conftest import open_session


@pytest.fixture
def limited_app(app, tmp_path):
    """An app of its own with the rate limits on (the test apps have them off)."""
    limited = make_test_app(f"sqlite:///{tmp_path / 'limit.db'}", RATELIMIT_ENABLED=True,
                            PROXY_COUNT=1)
    with limited.app_context():
        db.create_all()
        yield limited
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    # The limiter is one object: bind it back to the shared test app (limits off).
    limiter.init_app(app)


def test_sixty_calls_a_minute_per_shop_then_429_json(limited_app, monkeypatch):
    make = Factories()
    shop_a = make.dealer_shop()
    shop_b = make.dealer_shop(shop_a.store, code="TK002", phone="628123456780")
    a_phone, b = open_session(shop_a), open_session(shop_b)
    later = clock.now() + timedelta(seconds=61)  # the next code of a number, a minute on
    monkeypatch.setattr(clock, "now", lambda: later)
    a_laptop = open_session(shop_a)
    client = limited_app.test_client()

    def call(path: str, token: str, address: str = "10.0.0.1"):
        return client.get(path, headers={"Authorization": f"Bearer {token}",
                                         "X-Forwarded-For": address})

    answers = [call("/api/products", a_phone, f"10.0.0.{n % 5}").status_code
               for n in range(30)]
    answers += [call("/api/cart", a_laptop, "10.0.1.1").status_code for _ in range(30)]
    assert answers == [200] * 60

    refused = call("/api/auth/me", a_phone, "10.9.9.9")

    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited" and refused.get_json()["success"] is False
    assert call("/api/products", b).status_code == 200
