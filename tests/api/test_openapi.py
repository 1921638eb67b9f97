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
