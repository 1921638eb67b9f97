"""GET /api/bot/tools gives every tool of seed 002 (and the address change) as an LLM is
given them: an Indonesian description saying when to use it and a JSON schema whose every
field is described; run_tool runs the same operations for the support chat, refusals being
answers the model reads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.api.bot import run_tool
from shop.extensions import db
from shop.models import EventKind, Order, OrderEvent, OrderStatus
from tests.seed002 import bearer, bot_key

TOOLS = {
    "track_order": ("/api/bot/order/track", []),
    "cancel_order": ("/api/bot/order/cancel", ["orderNumber"]),
    "get_order_summary": ("/api/bot/order/summary", []),
    "verify_payment": ("/api/bot/payment/verify", ["orderNumber"]),
    "check_inventory": ("/api/bot/inventory/check", ["productIds"]),
    "update_shipping_address": ("/api/bot/order/address", ["orderNumber", "address"]),
}


def test_given_a_key_then_every_tool_with_when_to_use_it_and_described_fields(client, burger):
    answer = client.get("/api/bot/tools", headers=bearer(bot_key(burger)))

    assert answer.status_code == 200
    tools = answer.get_json()["tools"]
    assert [t["name"] for t in tools] == list(TOOLS)
    for tool in tools:
        endpoint, required = TOOLS[tool["name"]]
        assert tool["endpoint"] == endpoint
        assert "Kapan digunakan" in tool["description"], tool["name"]
        schema = tool["input_schema"]
        assert schema["type"] == "object" and schema.get("required", []) == required
        assert all(prop.get("description") for prop in schema["properties"].values()), \
            tool["name"]
        assert "customerId or phone" not in str(schema)  # what the model reads is Indonesian


def test_given_no_key_then_the_tools_are_not_listed(client, burger):
    assert client.get("/api/bot/tools").status_code == 401


def test_given_the_support_chat_then_run_tool_cancels_as_the_bot(make, burger):
    placed = make.order(burger, items=[("FRIES", 1)])

    ok, answer = run_tool(burger, "cancel_order", {"phone": "081234567890",
                                                   "orderNumber": placed.number})

    assert ok is True and answer["message"] == f"Pesanan {placed.number} telah dibatalkan"
    event = db.session.scalars(select(OrderEvent).where(
        OrderEvent.order_id == placed.id, OrderEvent.kind == EventKind.STATUS)).one()
    assert event.actor == "bot" and event.to_status == "CANCELLED"
    assert db.session.get(Order, placed.id).status == OrderStatus.CANCELLED


@pytest.mark.parametrize("name, arguments, code", [
    ("cancel_order", {"phone": "081399998888", "orderNumber": "ORD-20000101-001"},
     "not_found"),
    ("check_inventory", {"productIds": []}, "invalid_input"),
    ("verify_payment", {"phone": "081234567890"}, "invalid_input"),
    ("send_money", {}, "not_found"),
])
def test_given_a_refused_call_then_run_tool_answers_the_error(make, burger, name, arguments,
                                                              code):
    make.order(burger, items=[("FRIES", 1)])
    ok, answer = run_tool(burger, name, arguments)
    assert ok is False and answer["success"] is False and answer["code"] == code
