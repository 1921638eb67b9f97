"""The bot tools API signs callers in by a store's key in `Authorization: Bearer` only:
missing, wrong and revoked keys, a key in the query string and other schemes answer 401 JSON;
the CLI makes a key (printed once) that works and revokes it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import ApiKey
from shop.services.api_keys import create_api_key, key_hash, revoke_api_key

TRACK = "/api/bot/order/track"


def new_key(store, name: str = "Chatbot") -> str:
    _, key = create_api_key(store, name=name, actor="test")
    db.session.commit()
    return key


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def track(client, headers=None, query: str = "", body=None):
    return client.post(TRACK + query, json=body if body is not None else {
        "customerId": "cu_nobody", "orderNumber": "ORD-1"}, headers=headers or {})


def assert_refused(answer):
    assert answer.status_code == 401, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["success"] is False and body["code"] == "unauthorized" and body["error"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer shk_wrong"}, {"Authorization": "Basic c2hrXzpzaGtf"},
    {"X-Api-Key": "shk_anything"},
])
def test_given_no_or_a_wrong_key_then_401(client, burger, headers):
    new_key(burger)
    assert_refused(track(client, headers))


def test_given_a_valid_key_in_another_scheme_then_401(client, burger):
    key = new_key(burger)
    assert_refused(track(client, {"Authorization": f"Token {key}"}))
    assert_refused(track(client, {"X-Api-Key": key}))


@pytest.mark.parametrize("name", ["api_key", "key", "token", "access_token"])
def test_given_a_valid_key_in_the_query_string_then_401(client, burger, name):
    key = new_key(burger)
    assert_refused(track(client, query=f"?{name}={key}"))
    # even beside a valid header: a key in a URL is refused, not ignored
    assert_refused(track(client, bearer(key), query=f"?{name}={key}"))


def test_given_a_valid_key_then_the_call_gets_past_the_door(client, burger):
    key = new_key(burger)
    answer = track(client, bearer(key))
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
    assert answer.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(key)))
    assert row.last_used_at is not None


def test_given_a_revoked_key_then_401(client, burger):
    key = new_key(burger)
    assert track(client, bearer(key)).status_code == 404
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(key)))
    revoke_api_key(row, actor="test")
    db.session.commit()
    assert_refused(track(client, bearer(key)))


def test_given_no_json_body_then_400_json(client, burger):
    key = new_key(burger)
    answer = client.post(TRACK, data="x", headers=bearer(key))
    assert answer.status_code == 400 and answer.get_json()["success"] is False


def test_given_the_cli_then_it_prints_a_working_key_once(app, client, runner, burger):
    result = runner.invoke(args=["create-api-key", "--store", "burgerchina", "--name", "CS"])
    assert result.exit_code == 0, result.output
    keys = re.findall(r"shk_[A-Za-z0-9_-]{43,}", result.output)
    assert len(keys) == 1 and result.output.count(keys[0]) == 1
    key = keys[0]
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(key)))
    assert row.name == "CS" and row.store_id == burger.id and row.created_by == "cli"
    assert track(client, bearer(key)).status_code == 404  # signed in; the order is unknown

    revoked = runner.invoke(args=["revoke-api-key", row.prefix])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    assert_refused(track(client, bearer(key)))


def test_given_an_unknown_store_or_prefix_then_the_cli_fails(runner, burger):
    assert runner.invoke(args=["create-api-key", "--store", "nope"]).exit_code != 0
    assert runner.invoke(args=["revoke-api-key", "shk_00000000"]).exit_code != 0
    assert db.session.scalars(select(ApiKey)).first() is None
