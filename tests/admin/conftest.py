"""Back-office fixtures: admins of each role, and clients signed in as them."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from shop.extensions import db
from shop.models import AdminUser, Store
from shop.services.admin_users import save_admin

from ..conftest import app_on_redis

PASSWORD = "rahasia-123"
_seq = itertools.count(1)


@pytest.fixture
def make_admin(make) -> Callable[..., AdminUser]:
    """make_admin(role="admin", stores=[store], email=None, password=PASSWORD): committed."""

    def build(role: str = "admin", stores: list[Store] | None = None, email: str | None = None,
              password: str = PASSWORD, name: str | None = None) -> AdminUser:
        address = email or f"admin{next(_seq)}@toko.test"
        user, _ = save_admin(address, password=password, role=role, stores=stores or [],
                             name=name)
        db.session.commit()
        return user

    return build


def sign_in(client: FlaskClient, user: AdminUser, password: str = PASSWORD, **extra):
    """POST the login form (no CSRF in tests unless the test turns it on)."""
    return client.post("/admin/login", data={"email": user.email, "password": password, **extra})


@pytest.fixture
def login_as(app, database, make_admin) -> Callable[..., FlaskClient]:
    """login_as(role, stores) -> a fresh test client signed in as a new admin."""

    def build(role: str = "admin", stores: list[Store] | None = None) -> FlaskClient:
        user = make_admin(role, stores)
        client = app.test_client()
        answer = sign_in(client, user)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        client.admin = user
        return client

    return build


@pytest.fixture
def two_stores(make):
    """Store A and store B with a product each."""
    a = make.store("toko-a", name="Toko A")
    b = make.store("toko-b", name="Toko B")
    make.product(a, "A-1", "65000", name="Produk A")
    make.product(b, "B-1", "40000", name="Produk B")
    return a, b


@pytest.fixture
def on_redis(app, database):
    """The app on the Redis of TEST_REDIS_URL (flushed before and after) for one test: jobs
    go to their RQ queues instead of running in the request (no worker runs them unless the
    test starts one). Skips without TEST_REDIS_URL."""
    with app_on_redis(app) as client:
        yield client
