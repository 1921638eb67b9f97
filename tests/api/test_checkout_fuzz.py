"""Whatever JSON a client sends to the checkout API, it gets a clear answer, never a 500,
and a refusal writes nothing."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Customer, Notification, Order, Product

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


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Order, Customer, Notification))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies | json_values)
def test_any_json_gets_a_clear_answer_and_a_refusal_writes_nothing(client, make, body):
    if db.session.scalar(select(func.count()).select_from(Product)) == 0:
        store = make.store("warung")
        make.product(store, "TEH", "5000", stock=3)
        make.product(store, "KOPI", "8000")
    before = counts()
    answer = client.post(URL, json=body)
    assert answer.status_code in (200, 201, 400, 404, 409, 422), answer.get_data(as_text=True)
    assert answer.json["success"] is (answer.status_code in (200, 201))
    if answer.status_code in (200, 201):
        return
    assert answer.json["error"] and answer.json["code"]
    assert counts() == before
