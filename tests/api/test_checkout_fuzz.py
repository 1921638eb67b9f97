"""Whatever JSON a client sends to the checkout API, it gets a clear answer, never a 500:
a 201 writes exactly one order with the answered lines, a 200 replays an order already
written, and a refusal writes nothing."""

import hashlib
import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Notification, Order, OrderItem, Product

URL = "/api/orders/create-from-checkout"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=10,
)
item = st.fixed_dictionaries({}, optional={
    "code": st.sampled_from(["TEH", "KOPI", "NOPE", ""]) | json_values,
    "qty": st.integers(-5, 1005) | json_values,
})
bodies = st.fixed_dictionaries({}, optional={
    "store": st.just("warung") | json_values,
    "name": st.text(max_size=300) | json_values,
    "phone": st.sampled_from(["081234567890", "+6281234567890", "12", ""]) | json_values,
    "address": st.text(max_size=50) | json_values,
    "email": st.sampled_from(["a@b.co", "bad@", ""]) | json_values,
    "courier": json_values,
    "payment_method": st.sampled_from(["cod", "bank_transfer", "x"]) | json_values,
    "notes": st.text(max_size=50) | json_values,
    "idempotency_key": st.text(max_size=70) | json_values,
    "items": st.lists(item, max_size=4) | json_values,
})


def keyed(checkout: dict, key: str | None) -> dict:
    """The checkout with a key that examples share (a later checkout repeats an earlier one's
    key), a key of its own (as each checkout page has one), or none."""
    if key == "own":
        key = "checkout-" + hashlib.sha256(json.dumps(checkout, sort_keys=True).encode()) \
            .hexdigest()[:32]
    return {**checkout, "idempotency_key": key}


#: Checkouts that can succeed (the bodies above almost never do): the required fields right,
#: the optional ones as hostile as above.
checkouts = st.builds(keyed, st.fixed_dictionaries({
    "store": st.just("warung"),
    "name": st.sampled_from(["Budi Santoso", "Siti Aminah"]),
    "phone": st.sampled_from(["081234567890", "+62 812-3456-7890", "082987654321"]),
    "address": st.sampled_from(["Jl. Sudirman 123", "Jl. Merdeka 1, Bandung"]),
    "items": st.lists(st.fixed_dictionaries({"code": st.sampled_from(["TEH", "KOPI"]),
                                             "qty": st.integers(1, 3)}),
                      min_size=1, max_size=3),
}, optional={
    "email": st.sampled_from(["a@b.co", "bad@", ""]),
    "courier": st.sampled_from(["JNE Regular", "Kuda"]),
    "payment_method": st.sampled_from(["cod", "bank_transfer", "x"]),
    "notes": st.text(max_size=50),
}), st.sampled_from(["own", None, "checkout-000001"]))


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Order, OrderItem, Customer, Notification))


def order_ids() -> set[str]:
    return set(db.session.scalars(select(Order.id)))


def lines_of(order_id: str) -> list[tuple[str, int]]:
    """The order's item rows as (code, qty), in the order they were written."""
    return [tuple(row) for row in db.session.execute(
        select(OrderItem.code, OrderItem.qty).where(OrderItem.order_id == order_id)
        .order_by(OrderItem.id))]


def answered_lines(answer) -> list[tuple[str, int]]:
    return [(item["code"], item["qty"]) for item in answer.json["order"]["items"]]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=checkouts | bodies | json_values)
def test_any_json_gets_a_clear_answer_and_writes_one_order_or_nothing(client, make, body):
    if db.session.scalar(select(func.count()).select_from(Product)) == 0:
        store = make.store("warung")
        make.product(store, "TEH", "5000", stock=20)
        make.product(store, "KOPI", "8000")
    before, orders_before = counts(), order_ids()

    answer = client.post(URL, json=body)
    event(f"answered {answer.status_code}")  # --hypothesis-show-statistics: how many succeed

    assert answer.status_code in (200, 201, 400, 404, 409, 422), answer.get_data(as_text=True)
    assert answer.json["success"] is (answer.status_code in (200, 201))
    if answer.status_code == 201:
        # A new order: exactly one order row, holding exactly the answered lines.
        order_id = answer.json["order"]["id"]
        assert order_ids() - orders_before == {order_id}
        lines = lines_of(order_id)
        assert lines == answered_lines(answer) and lines
        assert counts()[:2] == (before[0] + 1, before[1] + len(lines))
        key = db.session.scalar(select(Order.idempotency_key).where(Order.id == order_id))
        if key is not None:
            # The same checkout again (a double click): the same order, nothing written.
            first, before = answer.json, counts()
            answer = client.post(URL, json=body)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            assert answer.json == first and counts() == before
    elif answer.status_code == 200:
        # A key an earlier example used: that order again, nothing written.
        assert answer.json["order"]["id"] in orders_before
        assert lines_of(answer.json["order"]["id"]) == answered_lines(answer)
        assert counts() == before and order_ids() == orders_before
    else:
        assert answer.json["error"] and answer.json["code"]
        assert counts() == before and order_ids() == orders_before
