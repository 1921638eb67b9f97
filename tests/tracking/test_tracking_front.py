"""The tracking page's front (tracking/front.py): on PostgreSQL, outside an app context (as
under gunicorn), a kept tracking page is answered before Flask, byte for byte the response
the app gave for the same row, language and address; every change of the order is on the
very next page; whatever is a visitor's own goes to the app. Requests are made from a
thread of their own, which has no app context, as a server's threads have none."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from shop.extensions import db
from shop.models import Order, OrderRequest, OrderStatus, PaymentStatus
from shop.services.order_requests import answer_request, request_change
from shop.services.orders import set_payment_status, transition
from shop.tracking.front import CACHE, TrackingFront

pytestmark = pytest.mark.backends("postgresql")
ACTOR = "admin:a@toko.test"
#: The hooks of every request, and of the tracking pages', that the front skips for a kept
#: page, each known to add nothing to it: the unit of work's housekeeping, the language and
#: body limit, the CSRF checks (posts only), the rate limiter (no limit on GET /track), the
#: admins' idle sessions (no session), the remember-me cookie (no session), the language
#: cookie (no query string), the security and private headers (kept with the response),
#: the per-request values of g. A new hook fails this test: decide whether it may change a
#: kept page, and make front.py pass such requests to the app if it may.
KNOWN_HOOKS = {
    "before": {"forget_callbacks_of_earlier_work", "start_request", "csrf_protect",
               "_check_request_limit", "end_idle_sessions"},
    "after": {"run_leftover_callbacks", "_Limiter__inject_headers", "remember_cookie",
              "finish_response", "private_headers"},
    "teardown": {"_Limiter__release_context", "forget_per_request_values"},
}


def hook_names(hooks: dict) -> set[str]:
    found = set()
    for blueprint in (None, "tracking"):
        for hook in hooks.get(blueprint, ()):
            found.add(getattr(hook, "func", hook).__name__)  # Flask-Limiter's is a partial
    return found


def test_the_front_knows_every_hook_it_skips(app):
    # (the tests' app has the rate limiter off: its hooks are not there)
    assert hook_names(app.before_request_funcs) - KNOWN_HOOKS["before"] == set()
    assert hook_names(app.after_request_funcs) - KNOWN_HOOKS["after"] == set()
    assert hook_names(app.teardown_request_funcs) - KNOWN_HOOKS["teardown"] == set()
    assert "finish_response" in hook_names(app.after_request_funcs)
    assert not app.url_value_preprocessors.get(None) and \
        not app.url_value_preprocessors.get("tracking")
    assert isinstance(app.wsgi_app, TrackingFront) or isinstance(
        getattr(app.wsgi_app, "app", None), TrackingFront)


def in_a_thread(call):
    """call() in a thread with no app context, as a server's; its result or its error."""
    out: dict = {}

    def run():
        try:
            out["value"] = call()
        except BaseException as error:  # noqa: BLE001 (raised again below)
            out["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if "error" in out:
        raise out["error"]
    return out["value"]


def front_of(app) -> TrackingFront:
    return app.wsgi_app if isinstance(app.wsgi_app, TrackingFront) else app.wsgi_app.app


def get(app, path: str, *, cookies: dict | None = None, through_front: bool = True):
    """One GET from a fresh browser (its cookies only), through the front or to the app
    behind it: (status, headers without Date, body)."""
    def call():
        client = app.test_client()
        for name, value in (cookies or {}).items():
            client.set_cookie(name, value)
        saved = app.wsgi_app
        if not through_front:
            app.wsgi_app = front_of(app).inner
        try:
            answer = client.get(path)
        finally:
            app.wsgi_app = saved
        return answer.status_code, sorted(answer.headers.items()), answer.get_data()
    return in_a_thread(call)


@contextmanager
def requests_seen_by_flask(app):
    """How many requests reached Flask's hooks, and the statements sent meanwhile."""
    seen = {"requests": 0, "statements": 0}

    def count_request():
        seen["requests"] += 1

    def count_statement(*_args):
        seen["statements"] += 1

    app.before_request_funcs.setdefault(None, []).insert(0, count_request)
    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        yield seen
    finally:
        app.before_request_funcs[None].remove(count_request)
        event.remove(db.engine, "before_cursor_execute", count_statement)


@pytest.fixture
def order(app, committed):
    store = committed.burger_store()
    placed = committed.order(store, items=[("COLA", 2)], payment_method="bank_transfer")
    db.session.remove()
    return placed


def test_a_kept_page_is_the_apps_own_response_byte_for_byte(app, order):
    for cookies in (None, {"lang": "en"}, {"lang": "id"}):
        # Given the page once rendered by the app through the front
        first = get(app, f"/track/{order.id}", cookies=cookies)
        # When it is asked for again
        with requests_seen_by_flask(app) as seen:
            kept = get(app, f"/track/{order.id}", cookies=cookies)
        # Then Flask never saw it, one statement was sent (the row), and it is what the
        # app itself answers, headers and all
        assert seen == {"requests": 0, "statements": 1}
        assert kept == first == get(app, f"/track/{order.id}", cookies=cookies,
                                    through_front=False)
        assert kept[0] == 200 and order.number.encode() in kept[2]
        assert not [name for name, _v in kept[1] if name == "Set-Cookie"]
    english = get(app, f"/track/{order.id}", cookies={"lang": "en"})[2]
    assert b"Order number" in english and b"Nomor Pesanan" in get(app, f"/track/{order.id}")[2]


def change_status(order_id):
    transition(db.session.get(Order, order_id), OrderStatus.CONFIRMED, actor=ACTOR,
               notify=False)


def mark_paid(order_id):
    set_payment_status(db.session.get(Order, order_id), PaymentStatus.PAID, actor=ACTOR,
                       notify=False)


def answered_request(order_id):
    asked = request_change(db.session.get(Order, order_id), topic="address",
                           message="Ganti ke Jl. Thamrin 5", last_four="7890",
                           base_url="https://shop.test")
    db.session.flush()
    answer_request(db.session.get(OrderRequest, asked.id), answer="Sudah kami ganti, Kak",
                   actor=ACTOR)


def renamed_store(order_id):
    db.session.execute(text("UPDATE stores SET name = 'Burger China Baru' WHERE id ="
                            " (SELECT store_id FROM orders WHERE id = :id)"), {"id": order_id})


@pytest.mark.parametrize("change, shown", [
    (change_status, b"Dikonfirmasi"),
    (mark_paid, b"Lunas"),
    (answered_request, b"Sudah kami ganti, Kak"),
    (renamed_store, b"Burger China Baru"),
])
def test_a_change_of_the_order_is_on_the_very_next_page(app, order, change, shown):
    # Given the page kept by the front
    get(app, f"/track/{order.id}")
    before = get(app, f"/track/{order.id}")[2]
    assert shown not in before

    # When the order (or its store) changes and the change commits
    change(order.id)
    db.session.commit()
    db.session.remove()

    # Then the very next page shows it, and is kept in its turn
    after = get(app, f"/track/{order.id}")
    assert after[0] == 200 and shown in after[2]
    assert get(app, f"/track/{order.id}") == after


def test_what_is_a_visitors_own_goes_to_the_app(app, order):
    path = f"/track/{order.id}"
    get(app, path)
    cases = {
        "a session": {"cookies": {app.config["SESSION_COOKIE_NAME"]: "x.y.z"}},
        "another cookie": {"cookies": {"lang": "en", "tema": "gelap"}},
        "?lang=en": {"path": f"{path}?lang=en"},
        "an unknown id": {"path": f"/track/c{'0' * 25}"},
        "an id of another format": {"path": "/track/bukan-id"},
    }
    for case, options in cases.items():
        with requests_seen_by_flask(app) as seen:
            get(app, options.get("path", path), cookies=options.get("cookies"))
        assert seen["requests"] == 1, case


def test_the_browser_that_placed_the_order_still_gets_its_thanks(app, committed):
    store = committed.burger_store()
    db.session.remove()

    def place_and_track():
        shopper = app.test_client()
        added = shopper.post("/store/burgerchina/cart", data={
            "code": "COLA", "qty": "1", "action": "add", "next": "/store/burgerchina"})
        assert added.status_code == 303
        page = shopper.get("/store/burgerchina/checkout").get_data(as_text=True)
        key = page.split('name="idempotency_key"')[1].split('value="')[1].split('"')[0]
        placed = shopper.post("/store/burgerchina/checkout", data={
            "idempotency_key": key, "name": "Budi", "phone": "081234567890",
            "address": "Jl. Sudirman No. 123", "district": "Tanah Abang",
            "city": "Jakarta Pusat", "province": "DKI Jakarta", "postal_code": "10250",
            "courier": "JNE Regular", "payment_method": "bank_transfer"})
        assert placed.status_code == 303, placed.get_data(as_text=True)[:500]
        path = placed.headers["Location"]
        stranger = app.test_client()
        return (stranger.get(path).get_data(), stranger.get(path).get_data(),
                shopper.get(path).get_data(), shopper.get(path).get_data())

    first_stranger, kept_stranger, thanks, thanks_again = in_a_thread(place_and_track)
    assert store.id
    assert b'id="thanks"' not in first_stranger and kept_stranger == first_stranger
    assert b'id="thanks"' in thanks and b'id="thanks"' in thanks_again


def test_a_page_with_a_cookie_of_the_app_is_never_kept(app, order):
    # Given an app whose tracking page set a cookie (as a page that made a session would)
    def with_cookie(response):
        response.set_cookie("jejak", "1")
        return response

    app.after_request_funcs[None].append(with_cookie)
    try:
        get(app, f"/track/{order.id}")
        with requests_seen_by_flask(app) as seen:
            answer = get(app, f"/track/{order.id}")
    finally:
        app.after_request_funcs[None].remove(with_cookie)
    # Then each page went to the app: nothing with a cookie in it is kept
    assert seen["requests"] == 1
    assert ("Set-Cookie", "jejak=1; Path=/") in answer[1]
    app.extensions.pop(CACHE, None)


def test_inside_an_app_context_the_front_steps_aside(app, order, client):
    # A test's (or a command's) app context may hold a session with uncommitted changes
    # that the read connection cannot see: the app answers, reading through its session.
    with app.app_context(), requests_seen_by_flask(app) as seen:
        assert client.get(f"/track/{order.id}").status_code == 200
        assert client.get(f"/track/{order.id}").status_code == 200
    assert seen["requests"] == 2
