"""GET /api/openapi.json is generated from the views' schemas: every /api route is in it,
with the schemas that validate its body, and it is a valid OpenAPI 3.1 document."""

from __future__ import annotations

from shop.api.schema import documented_routes


def api_routes(app) -> set[tuple[str, str]]:
    return {(rule.rule, method.lower()) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def test_every_api_route_is_documented(app):
    documented = {(rule, method) for rule, method, _ in documented_routes(app)}
    assert not api_routes(app) - documented
    assert ("/api/bot/order/track", "post") in documented


def test_the_document_is_valid_openapi_with_the_tools_input_schemas(client):
    from openapi_spec_validator import validate

    document = client.get("/api/openapi.json").get_json()
    validate(document)
    track = document["paths"]["/api/bot/order/track"]["post"]
    assert track["security"] == [{"botKey": []}]
    body = track["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert {"customerId", "phone", "orderNumber"} <= set(schema["properties"])
    assert set(track["responses"]) >= {"200", "401", "404", "422"}


def test_every_json_api_is_in_the_document_with_its_scheme(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    schemes = {
        ("/api/orders/create-from-checkout", "post"): [],
        ("/api/cart/add", "post"): [{"shopToken": []}],
        ("/api/auth/verify-otp", "post"): [],
        ("/api/admin/orders/{order_id}/approve", "put"): [{"adminSession": []}],
        ("/api/customers/crud", "post"): [{"adminSession": []}],
        ("/api/orders/{order_id}", "get"): [{"shopToken": []}],
        ("/api/orders/{order_id}", "patch"): [{"adminSession": []}],
        ("/api/whatsapp/webhook", "post"): [{"webhookToken": []}],
    }
    for (path, method), security in schemes.items():
        assert paths[path][method]["security"] == security, (path, method)
    assert "401" in paths["/api/cart/add"]["post"]["responses"]
    assert "401" not in paths["/api/orders/create-from-checkout"]["post"]["responses"]


def test_the_checkout_answers_201_or_200_and_money_is_a_decimal_string(client):
    document = client.get("/api/openapi.json").get_json()
    answers = document["paths"]["/api/orders/create-from-checkout"]["post"]["responses"]
    assert {"200", "201", "400", "404", "409", "422", "429"} <= set(answers)
    order = document["components"]["schemas"]["PlacedOrderJson"]["properties"]
    assert order["total"]["type"] == "string" and order["total"]["pattern"]


def test_the_handshake_answers_text_and_its_query_names_are_the_cloud_apis(client):
    verify = client.get("/api/openapi.json").get_json()["paths"]["/api/whatsapp/webhook"]["get"]
    assert set(verify["responses"]["200"]["content"]) == {"text/plain"}
    assert {p["name"] for p in verify["parameters"]} == {
        "hub.mode", "hub.verify_token", "hub.challenge"}
    assert all(p["schema"] == {"type": "string"} for p in verify["parameters"])
