"""The bot tools API allows BOT_API_RATE_LIMIT calls per key (120 a minute), counted over
every /api/bot endpoint together whichever address they come from, then answers a JSON 429;
another key has its own count, and calls without a live key are counted by address."""

from __future__ import annotations

import pytest

from shop.extensions import db, limiter
from tests.conftest import make_test_app
from tests.factories import Factories
from tests.seed002 import bearer, bot_key

LIMIT = 5


@pytest.fixture
def limited_app(app, tmp_path):
    """An app of its own with the rate limits on (the test apps have them off)."""
    limited = make_test_app(f"sqlite:///{tmp_path / 'limit.db'}", RATELIMIT_ENABLED=True,
                            RATELIMIT_STORAGE_URI="memory://", PROXY_COUNT=1,
                            BOT_API_RATE_LIMIT=f"{LIMIT} per minute")
    with limited.app_context():
        db.create_all()
        yield limited
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    # The limiter is one object: bind it back to the shared test app (limits off).
    limiter.init_app(app)


def call(client, path: str, headers: dict, address: str, body=None):
    headers = {**headers, "X-Forwarded-For": address}
    if path == "/tools":
        return client.get("/api/bot/tools", headers=headers)
    return client.post(f"/api/bot{path}", json=body, headers=headers)


def test_given_a_key_over_its_limit_then_429_json_and_other_keys_go_on(limited_app):
    make = Factories()
    store = make.store("urbanstyle")
    make.product(store, "KAOS-001", "79000", stock=50)
    first, second = bot_key(store), bot_key(store)
    client = limited_app.test_client()
    calls = [("/tools", None), ("/inventory/check", {"productIds": ["KAOS-001"]}),
             ("/order/track", {"phone": "081234567890", "orderNumber": "ORD-1"}),
             ("/order/summary", {"phone": "081234567890"}),
             ("/inventory/check", {"productIds": ["KAOS-001"]})]

    answers = [call(client, path, bearer(first), f"10.0.0.{n}", body).status_code
               for n, (path, body) in enumerate(calls)]
    refused = call(client, "/order/cancel", bearer(first), "10.9.9.9",
                   {"phone": "081234567890", "orderNumber": "ORD-1"})

    assert answers == [200, 200, 404, 404, 200]
    assert refused.status_code == 429
    assert refused.get_json() == {"success": False, "code": "rate_limited",
                                  "error": "Terlalu banyak permintaan. Silakan coba lagi "
                                           "sebentar lagi."}
    assert call(client, "/tools", bearer(second), "10.9.9.9").status_code == 200


def test_given_calls_without_a_live_key_then_counted_by_address(limited_app):
    store = Factories().store("urbanstyle")
    key = bot_key(store)
    client = limited_app.test_client()
    wrong = [call(client, "/tools", bearer(f"shk_guess{n}"), "10.0.0.1").status_code
             for n in range(LIMIT)]
    assert wrong == [401] * LIMIT
    assert call(client, "/tools", bearer("shk_guess99"), "10.0.0.1").status_code == 429
    assert call(client, "/tools", bearer(key), "10.0.0.1").status_code == 200  # its own count
