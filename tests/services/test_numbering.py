"""Order numbers: ORD-YYYYMMDD-NNN per store day, ORD-YYYY-NNNNNN per B2B year,
YYYY/NNNNNN/POD-PD for the legacy ERP; dates in the store's time zone."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Channel, Order, Serial
from shop.services.numbering import next_legacy_so_number, next_order_number

B2C = Channel.STOREFRONT


def at(text: str) -> datetime:
    """A moment given in UTC: at("2026-01-01 18:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def numbers(store, channel, when, count) -> list[str]:
    return [next_order_number(store, channel, when) for _ in range(count)]


@pytest.mark.parametrize(("utc", "number"), [
    ("2026-01-01 16:59", "ORD-20260101-001"),  # 23:59 in Jakarta
    ("2026-01-01 17:00", "ORD-20260102-001"),  # midnight in Jakarta
    ("2026-01-01 18:00", "ORD-20260102-001"),
    ("2026-01-02 05:00", "ORD-20260102-001"),
])
def test_order_number_takes_the_date_of_the_stores_clock(make, utc, number):
    store = make.store(timezone="Asia/Jakarta")
    assert next_order_number(store, B2C, at(utc)) == number


@pytest.mark.parametrize(("zone", "number"), [
    ("Asia/Jayapura", "ORD-20260102-001"),  # UTC+9: 00:30 on the 2nd
    ("Asia/Makassar", "ORD-20260101-001"),  # UTC+8: 23:30 on the 1st
    ("Asia/Jakarta", "ORD-20260101-001"),  # UTC+7: 22:30 on the 1st
    ("America/New_York", "ORD-20260101-001"),
])
def test_store_in_another_time_zone_numbers_by_its_own_date(make, zone, number):
    store = make.store(timezone=zone)
    assert next_order_number(store, B2C, at("2026-01-01 15:30")) == number


def test_counter_counts_up_through_the_day_and_restarts_the_next(make):
    store = make.store()
    day_one = numbers(store, B2C, at("2026-03-10 02:00"), 2)
    day_one.append(next_order_number(store, B2C, at("2026-03-10 16:59")))
    day_two = numbers(store, B2C, at("2026-03-10 17:00"), 2)
    assert day_one == ["ORD-20260310-001", "ORD-20260310-002", "ORD-20260310-003"]
    assert day_two == ["ORD-20260311-001", "ORD-20260311-002"]


def test_counter_of_an_earlier_day_continues_where_it_stopped(make):
    store = make.store()
    numbers(store, B2C, at("2026-03-10 02:00"), 3)
    numbers(store, B2C, at("2026-03-11 02:00"), 1)
    assert next_order_number(store, B2C, at("2026-03-10 03:00")) == "ORD-20260310-004"


def test_each_store_has_its_own_counter(make):
    burger, bakery = make.store(), make.store()
    when = at("2026-05-01 03:00")
    assert next_order_number(burger, B2C, when) == "ORD-20260501-001"
    assert next_order_number(burger, B2C, when) == "ORD-20260501-002"
    assert next_order_number(bakery, B2C, when) == "ORD-20260501-001"
    assert next_order_number(burger, B2C, when) == "ORD-20260501-003"


@pytest.mark.parametrize("channel", [Channel.WHATSAPP, Channel.ADMIN, Channel.BOT])
def test_every_b2c_channel_shares_the_stores_daily_counter(make, channel):
    store = make.store()
    when = at("2026-05-01 03:00")
    assert next_order_number(store, B2C, when) == "ORD-20260501-001"
    assert next_order_number(store, channel, when) == "ORD-20260501-002"
    assert next_order_number(store, B2C, when) == "ORD-20260501-003"


def test_busy_day_goes_past_999_to_four_digits(make):
    store = make.store()
    db.session.add(Serial(name=f"order:{store.id}", period="20260501", last_number=998))
    db.session.commit()
    assert numbers(store, B2C, at("2026-05-01 03:00"), 3) == [
        "ORD-20260501-999", "ORD-20260501-1000", "ORD-20260501-1001"]


def test_a_thousand_orders_of_one_day_are_all_different(make):
    store = make.store()
    taken = numbers(store, B2C, at("2026-05-01 03:00"), 1001)
    assert len(set(taken)) == 1001
    assert taken[0] == "ORD-20260501-001" and taken[-1] == "ORD-20260501-1001"


def test_b2b_numbers_count_through_the_year(make):
    store = make.store()
    assert next_order_number(store, Channel.B2B, at("2026-01-05 03:00")) == "ORD-2026-000001"
    assert next_order_number(store, Channel.B2B, at("2026-07-20 03:00")) == "ORD-2026-000002"
    assert next_order_number(store, Channel.B2B, at("2026-12-31 16:59")) == "ORD-2026-000003"
    # 2026-12-31 17:00 UTC is already New Year in Jakarta.
    assert next_order_number(store, Channel.B2B, at("2026-12-31 17:00")) == "ORD-2027-000001"


def test_b2b_and_b2c_counters_are_separate(make):
    store = make.store()
    when = at("2026-05-01 03:00")
    assert next_order_number(store, B2C, when) == "ORD-20260501-001"
    assert next_order_number(store, Channel.B2B, when) == "ORD-2026-000001"
    assert next_order_number(store, B2C, when) == "ORD-20260501-002"
    assert next_order_number(make.store(), Channel.B2B, when) == "ORD-2026-000001"


def test_b2b_number_goes_past_six_digits(make):
    store = make.store()
    db.session.add(Serial(name=f"b2b-order:{store.id}", period="2026", last_number=999999))
    db.session.commit()
    assert next_order_number(store, Channel.B2B, at("2026-05-01 03:00")) == "ORD-2026-1000000"


def test_legacy_so_numbers_count_through_the_year(database):
    assert next_legacy_so_number(at("2026-02-01 03:00")) == "2026/000001/POD-PD"
    assert next_legacy_so_number(at("2026-11-30 03:00")) == "2026/000002/POD-PD"
    assert next_legacy_so_number(at("2026-12-31 17:00")) == "2027/000001/POD-PD"
    assert next_legacy_so_number(at("2027-01-01 03:00")) == "2027/000002/POD-PD"


def test_legacy_so_year_follows_the_given_time_zone(database):
    assert next_legacy_so_number(at("2026-12-31 17:00"), tz="UTC") == "2026/000001/POD-PD"
    assert next_legacy_so_number(at("2026-12-31 17:00")) == "2027/000001/POD-PD"


def test_counters_are_kept_in_the_serials_table(make):
    store = make.store()
    numbers(store, B2C, at("2026-05-01 03:00"), 4)
    next_order_number(store, Channel.B2B, at("2026-05-01 03:00"))
    db.session.commit()
    rows = db.session.execute(select(Serial.name, Serial.period, Serial.last_number)
                              .order_by(Serial.name)).all()
    assert [tuple(r) for r in rows] == [
        (f"b2b-order:{store.id}", "2026", 1), (f"order:{store.id}", "20260501", 4)]


def test_checkout_numbers_orders_of_the_store_day_one_after_another(make):
    store = make.store()
    first, second = make.order(store), make.order(store)
    prefix, _, serial = first.number.rpartition("-")
    # (or -001 of the next day, should the two straddle midnight in Jakarta)
    assert second.number == f"{prefix}-{int(serial) + 1:03d}" or second.number.endswith("-001")
    stored = db.session.scalars(select(Order.number).order_by(Order.number)).all()
    assert stored == [first.number, second.number]
