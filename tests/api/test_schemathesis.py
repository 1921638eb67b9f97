"""Schemathesis over GET /api/openapi.json (issue 13): every operation of the checkout, the
bot tools and the dealer portal is called in-process (WSGI) with generated inputs, valid
and invalid, signed in for real (a store's bot key, a dealer's session token); no answer is
a 5xx, and every answer has a documented status, content type and schema. Missing, wrong
and revoked credentials answer a 401 that conforms too.

The admin API runs too, with the session cookie of a signed-in admin (CSRF is off in the
test app, as in tests/admin), and so does the WhatsApp webhook with its configured token.
Bounded (a few dozen calls per operation, no deadline, derandomized): the file runs in
well under a minute on both databases."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from shop import clock
from shop.api.schema import openapi_document
from shop.services.api_keys import create_api_key, revoke_api_key
from shop.services.otp import _open_session, logout
from shop.unit_of_work import commit
from tests.admin.conftest import login_as, make_admin  # noqa: F401 - fixtures
from tests.chat_model import model_standin, text
from tests.conftest import make_test_app
from tests.portal.conftest import fill_cart, fresh_otp_limits, open_session  # noqa: F401 - autouse here

#: The operations under test: the checkout, the bot tools and the dealer portal; and those
#: of them that need a key or a session (all but the login calls and the checkout).
PATHS = r"^/api/(orders/create-from-checkout|bot/|auth/|products|cart|orders)"
SIGNED_IN = r"^/api/(bot/|auth/(me|logout)|products|cart|orders(?!/create-from-checkout))"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def _tested(ctx) -> bool:
    """The checkout, bot and portal operations (not the admin's PATCH of an order)."""
    return re.match(PATHS, ctx.operation.path) is not None \
        and ctx.operation.method.upper() != "PATCH"


def _signed_in(ctx) -> bool:
    """Every operation that needs a bot key, a dealer's session or an admin's."""
    return (_tested(ctx) and re.match(SIGNED_IN, ctx.operation.path) is not None) \
        or _admin(ctx)


def _webhook(ctx) -> bool:
    return ctx.operation.path == "/api/whatsapp/webhook"


def _admin(ctx) -> bool:
    """The admin's JSON API (its session cookie): dealer orders, customers, order edits."""
    path, method = ctx.operation.path, ctx.operation.method.upper()
    return re.match(r"^/api/(admin/|customers/)", path) is not None \
        or (path == "/api/orders/{order_id}" and method == "PATCH")


def _document() -> dict:
    """The document of an app built for it (the URL map is all it reads; no database); the
    calls go in-process to the test's app (`app=` of each call)."""
    return openapi_document(make_test_app("sqlite://"))


schema = schemathesis.openapi.from_dict(_document())
#: Valid calls only, for the credentials test: only the credentials are wrong.
POSITIVE = schemathesis.Config.from_dict({"generation": {"mode": "positive"},
                                          "phases": {"coverage": {"enabled": False}}})
valid_calls = schemathesis.openapi.from_dict(_document(), config=POSITIVE)


@pytest.fixture
def credentials(make, burger):
    """A live bot key of Burger China and a session token of dealer TK001, with parts in
    the dealer's cart, and a customer of the store with an order."""
    _, key = create_api_key(burger, name="Schemathesis", actor="test")
    shop = make.dealer_shop()
    make.order(burger, [("COLA", 1)])
    commit()
    fill_cart(shop, ("OLI-MPX2", 2), ("KAMPAS-REM", 1))
    return {"bot": key, "portal": open_session(shop), "shop": shop}


def _headers(case, credentials) -> dict:
    if case.path.startswith("/api/bot/"):
        token = credentials["bot"]
    elif case.path == "/api/auth/logout":  # each logout ends a session of its own
        token = _open_session(credentials["shop"], clock.now(), ip=None,
                              user_agent=None).token
        commit()
    else:
        token = credentials["portal"]
    return {"Authorization": f"Bearer {token}"}


@schema.include(_tested).parametrize()
@BOUNDED
def test_every_operation_answers_as_documented(app, case, credentials):
    # The support chat talks to a local stand-in of the model (a 503 without one is its
    # documented answer, but a 5xx all the same).
    if case.path != "/api/bot/chat":
        case.call_and_validate(app=app, headers=_headers(case, credentials), checks=CHECKS)
        return
    with model_standin(app, [lambda body: text("Baik, ada yang bisa dibantu?")] * 3):
        case.call_and_validate(app=app, headers=_headers(case, credentials), checks=CHECKS)


@pytest.fixture
def refused(credentials, burger):
    """Credentials that are no longer good: a revoked bot key, a dealer's ended session."""
    row, revoked = create_api_key(burger, name="Old", actor="test")
    revoke_api_key(row, actor="test")
    ended = _open_session(credentials["shop"], clock.now(), ip=None, user_agent=None).token
    logout(ended)
    commit()
    return [{}, {"Authorization": "Bearer shk_wrong"}, {"Authorization": "Bearer x"},
            {"Authorization": f"Basic {credentials['bot']}"},
            {"Authorization": f"Bearer {revoked}"}, {"Authorization": f"Bearer {ended}"}]


@valid_calls.include(_signed_in).parametrize()
@settings(BOUNDED, max_examples=2)
def test_missing_wrong_and_revoked_credentials_answer_401(app, case, refused):
    for header in refused:
        answer = case.call_and_validate(app=app, headers=header, checks=CHECKS)
        assert answer.status_code == 401, (header, answer.text)
        assert answer.json()["code"] == "unauthorized"


@pytest.fixture
def admin_cookie(app, make, login_as, burger, credentials) -> dict:  # noqa: F811
    """The session cookie of an admin of Burger China and of the dealers' distributor."""
    client = login_as("admin", [burger, credentials["shop"].store])
    return {"session": client.get_cookie("session").value}


@schema.include(_admin).parametrize()
@BOUNDED
def test_every_admin_operation_answers_as_documented(app, case, admin_cookie):
    case.call_and_validate(app=app, cookies=admin_cookie, checks=CHECKS)


@schema.include(_webhook).parametrize()
@BOUNDED
def test_the_webhook_answers_as_documented(app, case, monkeypatch, burger):
    monkeypatch.setitem(app.config, "WHATSAPP_WEBHOOK_TOKEN", "webhook-token")
    monkeypatch.setitem(app.config, "WHATSAPP_VERIFY_TOKEN", "verify-token")
    case.call_and_validate(app=app, headers={"Authorization": "Bearer webhook-token"},
                           checks=CHECKS)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/products/100000000000000000000", None),
    ("GET", "/api/products/100000000000000000000/stock", None),
    ("PUT", "/api/cart/item/100000000000000000000", {"qty": 1}),
    ("DELETE", "/api/cart/item/100000000000000000000", None),
    ("POST", "/api/cart/add", {"product_id": 100000000000, "qty": 1}),
    ("POST", "/api/cart/add", {"product_id": "999999999999", "qty": 1}),
])
def test_given_an_id_beyond_any_row_then_404_not_500(client, credentials, method, path, body):
    answer = client.open(path, method=method, json=body,
                         headers={"Authorization": f"Bearer {credentials['portal']}"})
    assert answer.status_code == 404, answer.get_data(as_text=True)


def test_given_a_nul_in_the_admin_order_search_then_422(client, login_as, burger):  # noqa: F811
    answer = login_as("admin", [burger]).get("/api/admin/orders?search=a%00b")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["fields"] == {"search": "Berisi karakter yang tidak diizinkan."}


@pytest.mark.parametrize("query", ["store_id=%0B", "shop=%20", "page=%09&per_page=%0C"])
def test_given_blank_numbers_in_the_admin_order_list_then_they_are_not_given(
        client, login_as, burger, query):  # noqa: F811
    answer = login_as("admin", [burger]).get(f"/api/admin/orders?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["per_page"] == 25
