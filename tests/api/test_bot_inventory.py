"""POST /api/bot/inventory/check (seed 002's check_inventory): the stock of one or several of
the key's store's products, by code (or exact name), with optional quantities; an unknown,
inactive or other store's product is an entry with found false, not a 404 for the call."""

from __future__ import annotations

import pytest

from tests.seed002 import bearer, bot_key

CHECK = "/api/bot/inventory/check"


@pytest.fixture
def key(burger):
    return bot_key(burger)


def check(client, key, body, status=200):
    answer = client.post(CHECK, json=body, headers=bearer(key))
    assert answer.status_code == status, answer.get_data(as_text=True)
    return answer.get_json()


def test_given_tracked_untracked_low_and_sold_out_products_then_each_answered(client, burger,
                                                                             key):
    body = check(client, key, {"productIds": ["COLA", "BRG-CHEESE", "NUGGET", "SUNDAE"]})

    assert body["success"] is True and body["totalProducts"] == 4
    assert body["productsInStock"] == 3
    cola, burger_, nugget, sundae = body["stocks"]
    assert cola == {"productId": "COLA", "query": "COLA", "found": True, "productName": "Cola",
                    "price": "8000.00", "quantity": 50, "inStock": True, "lowStock": False,
                    "requestedQuantity": None, "canOrder": None}
    assert burger_["quantity"] is None and burger_["inStock"] is True  # made to order
    assert nugget["quantity"] == 3 and nugget["lowStock"] is True
    assert sundae["quantity"] == 0 and sundae["inStock"] is False


def test_given_quantities_then_can_order_says_whether_each_fits(client, burger, key):
    body = check(client, key, {"productIds": ["COLA", "NUGGET", "SUNDAE", "FRIES"],
                               "quantities": [50, 4, 1, 999]})
    assert [(s["requestedQuantity"], s["canOrder"]) for s in body["stocks"]] == [
        (50, True), (4, False), (1, False), (999, True)]


def test_given_unknown_inactive_and_another_stores_codes_then_found_false_entries(
        client, make, burger, key):
    other = make.store("toko-lain")
    make.product(other, "RAHASIA", "1000", name="Produk Rahasia", stock=7)

    body = check(client, key, {"productIds": ["NOPE", "OLD", "RAHASIA", "COLA"],
                               "quantities": [1, 1, 1, 1]})

    assert body["totalProducts"] == 4 and body["productsInStock"] == 1
    for entry, asked in zip(body["stocks"][:3], ["NOPE", "OLD", "RAHASIA"], strict=True):
        assert entry == {"productId": asked, "query": asked, "found": False,
                         "productName": None, "price": None, "quantity": None,
                         "inStock": False, "lowStock": False, "requestedQuantity": 1,
                         "canOrder": False}
    assert "Produk Rahasia" not in str(body) and "Menu Lama" not in str(body)


def test_given_a_code_in_another_case_or_the_products_name_then_found(client, burger, key):
    body = check(client, key, {"productIds": ["cola", "french fries", " Sundae "]})
    assert [(s["productId"], s["found"]) for s in body["stocks"]] == [
        ("COLA", True), ("FRIES", True), ("SUNDAE", True)]
    assert body["stocks"][1]["query"] == "french fries"


def test_given_the_same_product_twice_then_two_entries(client, burger, key):
    body = check(client, key, {"productIds": ["COLA", "COLA"], "quantities": [10, 60]})
    assert [s["canOrder"] for s in body["stocks"]] == [True, False]


@pytest.mark.parametrize("body, field, status", [
    ({}, "productIds", 422),
    ({"productIds": []}, "productIds", 422),
    ({"productIds": [f"P{n}" for n in range(21)]}, "productIds", 422),
    ({"productIds": [""]}, "productIds.0", 422),
    ({"productIds": ["   "]}, "productIds", 422),
    ({"productIds": "COLA"}, "productIds", 400),
    ({"productIds": [5]}, "productIds.0", 400),
    ({"productIds": ["COLA", "FRIES"], "quantities": [1]}, "quantities", 422),
    ({"productIds": ["COLA"], "quantities": [0]}, "quantities.0", 422),
    ({"productIds": ["COLA"], "quantities": [1001]}, "quantities.0", 422),
    ({"productIds": ["COLA"], "quantities": ["x"]}, "quantities.0", 400),
])
def test_given_bad_arguments_then_refused(client, burger, key, body, field, status):
    answer = client.post(CHECK, json=body, headers=bearer(key))
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert field in answer.get_json()["fields"]


@pytest.mark.parametrize("ref", ["x" * 200, "CO\x00LA", "COLA\u202e"])
def test_given_hostile_codes_then_found_false_not_an_error(client, burger, key, ref):
    body = check(client, key, {"productIds": [ref]})
    assert body["stocks"][0]["found"] is False
