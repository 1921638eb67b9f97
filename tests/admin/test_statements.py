"""Mutasi Bank in the back office: an owner uploads a day's mutation export, reviews the
matches and confirms them in one step; the right orders become PAID once, each with its
Payment and one message to its customer, and nothing else changes."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from shop import clock
from shop.extensions import db
from shop.models import Notification, Order, Payment, PaymentStatus
from shop.models.statements import LineStatus, StatementImport, StatementLine
from shop.services.message_templates import payment_template

from ..statement_samples import bca_csv
from .backoffice import csrf_enabled, csrf_token, follow, text, to_login

PAID_MESSAGE = payment_template("PAID")


def today():
    return clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()


@pytest.fixture
def shop_day(make):
    """A store with five unpaid orders (amount due = total + unique code): A 65,123 and
    B 40,150 paid by the statement; C and D both 65,777 (one credit fits two orders);
    E 65,124 (no credit); and the day's statement: A's and B's transfers, 65,777, a credit
    that fits nothing, a debit."""
    store = make.store("toko-maju", name="Toko Maju")
    kaos = make.product(store, "KAOS", "65000")
    topi = make.product(store, "TOPI", "40000")
    orders = {}
    for key, product, code, phone in (("A", kaos, 123, "081311110001"),
                                      ("B", topi, 150, "081311110002"),
                                      ("C", kaos, 777, "081311110003"),
                                      ("D", kaos, 777, "081311110004"),
                                      ("E", kaos, 124, "081311110005")):
        placed = make.order(store, items=[(product.code, 1)], phone=phone,
                            name=f"Pembeli {key}", payment_method="bank_transfer")
        db.session.execute(update(Order).where(Order.id == placed.id).values(unique_code=code))
        orders[key] = placed.id
    db.session.commit()
    day = today()
    rows = [
        (day, "TRSF E-BANKING CR 0112/FTSCY/WS95031 65123.00 PEMBELI A", Decimal("65123"), "CR"),
        (day, "TRSF E-BANKING CR 0112/FTSCY/WS95032 40150.00 PEMBELI B", Decimal("40150"), "CR"),
        (day, "TRSF E-BANKING CR 0112/FTSCY/WS95033 65777.00 SESEORANG", Decimal("65777"), "CR"),
        (day, "TRSF E-BANKING CR 0112/FTSCY/WS95034 12345.00 SALAH KIRIM", Decimal("12345"), "CR"),
        (day, "BYR VIA E-BANKING LISTRIK", Decimal("65124"), "DB"),
    ]
    return store, orders, bca_csv(rows, with_year=True)


def upload(client, store, data: bytes, **fields):
    form = {"store_id": str(store.id), "preset": "bca",
            "file": (io.BytesIO(data), "mutasi-bca.csv"), **fields}
    return client.post("/admin/statements/", data=form, content_type="multipart/form-data")


def state(orders: dict) -> dict:
    """Each order's payment status, its payments (amount, reference) and paid messages."""
    db.session.expire_all()
    result = {}
    for key, order_id in orders.items():
        order = db.session.get(Order, order_id)
        payments = [(p.amount, p.reference, p.status.value, p.actor) for p in db.session.scalars(
            select(Payment).where(Payment.order_id == order_id))]
        messages = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.order_id == order_id, Notification.template == PAID_MESSAGE))
        result[key] = (order.payment_status, payments, messages)
    return result


def statement_of(answer) -> StatementImport:
    statement_id = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return db.session.get(StatementImport, statement_id)


def test_owner_confirms_the_days_exact_matches_in_one_step(login_as, shop_day):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    before = state(orders)

    answer = upload(owner, store, data)
    review = follow(owner, answer)
    statement = statement_of(answer)

    statuses = [(line.amount, line.status) for line in statement.lines]
    assert statuses == [(Decimal("65123.00"), LineStatus.PROPOSED),
                        (Decimal("40150.00"), LineStatus.PROPOSED),
                        (Decimal("65777.00"), LineStatus.AMBIGUOUS),
                        (Decimal("12345.00"), LineStatus.UNMATCHED)]
    a_number = db.session.get(Order, orders["A"]).number
    assert "Konfirmasi semua yang cocok (2)" in review
    assert a_number in review and "Pembeli A" in review and "SALAH KIRIM" in review
    assert state(orders) == before  # uploading pays nothing

    page = follow(owner, owner.post(f"/admin/statements/{statement.id}/confirm"))

    assert "2 pesanan ditandai lunas." in page
    after = state(orders)
    actor = f"admin:{owner.admin.email}"
    assert after["A"] == (PaymentStatus.PAID, [
        (Decimal("65123.00"), "TRSF E-BANKING CR 0112/FTSCY/WS95031 65123.00 PEMBELI A",
         "confirmed", actor)], 1)
    assert after["B"] == (PaymentStatus.PAID, [
        (Decimal("40150.00"), "TRSF E-BANKING CR 0112/FTSCY/WS95032 40150.00 PEMBELI B",
         "confirmed", actor)], 1)
    for key in "CDE":
        assert after[key] == before[key] == (PaymentStatus.PENDING, [], 0)
    lines = {line.amount: line for line in statement.lines}
    assert lines[Decimal("65123.00")].status == LineStatus.CONFIRMED
    assert lines[Decimal("65123.00")].payment_id is not None


def test_the_same_file_imported_again_matches_nothing_twice(login_as, shop_day):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    first = statement_of(upload(owner, store, data))
    owner.post(f"/admin/statements/{first.id}/confirm")
    paid = state(orders)

    again = upload(owner, store, data)
    review = follow(owner, again)
    second = statement_of(again)

    assert [line.status for line in second.lines] == [
        LineStatus.DUPLICATE, LineStatus.DUPLICATE, LineStatus.AMBIGUOUS, LineStatus.UNMATCHED]
    assert "Sudah dikonfirmasi dari unggahan sebelumnya (2)" in review
    assert "Konfirmasi semua yang cocok" not in review
    page = follow(owner, owner.post(f"/admin/statements/{second.id}/confirm"))
    assert "0 pesanan ditandai lunas." in page
    assert state(orders) == paid


def test_confirming_twice_pays_once(login_as, shop_day):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))

    owner.post(f"/admin/statements/{statement.id}/confirm")
    page = follow(owner, owner.post(f"/admin/statements/{statement.id}/confirm"))

    assert "0 pesanan ditandai lunas." in page
    assert [len(payments) for _s, payments, _m in state(orders).values()] == [1, 1, 0, 0, 0]


def test_owner_picks_the_order_of_an_amount_that_fits_two(login_as, shop_day):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))
    line = next(x for x in statement.lines if x.status == LineStatus.AMBIGUOUS)
    assert sorted(line.candidates) == sorted([orders["C"], orders["D"]])

    refused = follow(owner, owner.post(f"/admin/statements/{statement.id}/pick",
                                       data={"line_id": line.id, "order_id": orders["E"]}))
    assert "Pilih salah satu pesanan" in refused
    page = follow(owner, owner.post(f"/admin/statements/{statement.id}/pick",
                                    data={"line_id": line.id, "order_id": orders["C"]}))

    assert "1 pesanan ditandai lunas." in page
    after = state(orders)
    assert after["C"][0] == PaymentStatus.PAID and after["C"][2] == 1
    assert [p[0] for p in after["C"][1]] == [Decimal("65777.00")]
    assert after["D"] == (PaymentStatus.PENDING, [], 0)
    assert after["A"] == (PaymentStatus.PENDING, [], 0)  # only the picked line was confirmed


def test_an_order_paid_meanwhile_is_skipped_and_gets_no_second_payment(login_as, shop_day):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))
    db.session.execute(update(Order).where(Order.id == orders["A"])
                       .values(payment_status=PaymentStatus.PAID.value))
    db.session.commit()

    page = follow(owner, owner.post(f"/admin/statements/{statement.id}/confirm"))

    assert "1 pesanan ditandai lunas." in page and "1 baris dilewati" in page
    after = state(orders)
    assert after["A"] == (PaymentStatus.PAID, [], 0)
    assert after["B"][0] == PaymentStatus.PAID
    db.session.expire_all()
    assert [x.status for x in statement.lines][:2] == [LineStatus.SKIPPED, LineStatus.CONFIRMED]


def test_an_order_awaiting_proof_review_is_paid_with_its_proof_confirmed(login_as, shop_day):
    store, orders, data = shop_day
    from shop.services.transfer_proofs import submit_transfer_proof

    submit_transfer_proof(db.session.get(Order, orders["A"]), "proof.jpg")
    db.session.commit()
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))
    assert statement.lines[0].status == LineStatus.PROPOSED

    owner.post(f"/admin/statements/{statement.id}/confirm")

    status, payments, messages = state(orders)["A"]
    assert status == PaymentStatus.PAID and messages == 1
    assert [(p[0], p[2]) for p in payments] == [(Decimal("65123.00"), "confirmed")]


def test_a_bad_file_shows_the_reason_and_stores_nothing(login_as, shop_day):
    store, orders, _data = shop_day
    owner = login_as("admin", [store])

    page = text(upload(owner, store, b"Tanggal;Jumlah\n"))

    assert "File ini bukan mutasi BCA" in page
    assert db.session.scalar(select(func.count()).select_from(StatementImport)) == 0


def test_the_upload_form_preselects_the_stores_remembered_mapping(login_as, make):
    store = make.store(statement_mapping={"preset": "custom", "date": "3",
                                          "description": "Berita", "amount": "5"})
    owner = login_as("admin", [store])

    page = text(owner.get("/admin/statements/"))

    assert 'id="preset-custom" value="custom" checked' in page
    assert 'name="description" maxlength="60"\n           value="Berita"' in page


def test_an_admin_of_another_store_sees_no_import_of_this_one(login_as, shop_day, make):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))
    stranger = login_as("admin", [make.store("toko-lain")])

    assert stranger.get(f"/admin/statements/{statement.id}/").status_code == 404
    assert stranger.post(f"/admin/statements/{statement.id}/confirm").status_code == 404
    assert "mutasi-bca.csv" not in text(stranger.get("/admin/statements/"))
    refused = upload(stranger, store, data)
    assert refused.status_code == 200 and db.session.scalar(
        select(func.count()).select_from(StatementImport)) == 1
    assert state(orders)["A"][0] == PaymentStatus.PENDING


def test_a_confirmation_without_the_csrf_token_is_refused(app, login_as, shop_day):
    store, orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))

    with csrf_enabled(app):
        refused = owner.post(f"/admin/statements/{statement.id}/confirm")
        token = csrf_token(owner, f"/admin/statements/{statement.id}/")
        accepted = owner.post(f"/admin/statements/{statement.id}/confirm",
                              data={"csrf_token": token})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert state(orders)["A"][0] == PaymentStatus.PAID
    assert db.session.scalar(select(func.count()).select_from(StatementLine).where(
        StatementLine.status == LineStatus.CONFIRMED)) == 2


def test_orders_placed_more_than_a_week_before_the_line_are_not_proposed(login_as, shop_day):
    store, orders, data = shop_day
    db.session.execute(update(Order).where(Order.id == orders["A"]).values(
        created_at=clock.now() - timedelta(days=9)))
    db.session.commit()
    owner = login_as("admin", [store])

    statement = statement_of(upload(owner, store, data))

    assert statement.lines[0].status == LineStatus.UNMATCHED


def test_one_order_that_fits_two_credits_of_the_file_is_left_to_the_owner(login_as, make):
    store = make.store()
    kaos = make.product(store, "KAOS", "65000")
    placed = make.order(store, items=[(kaos.code, 1)], payment_method="bank_transfer")
    db.session.execute(update(Order).where(Order.id == placed.id).values(unique_code=123))
    db.session.commit()
    row = (today(), "SETORAN TUNAI", Decimal("65123"), "CR")
    owner = login_as("admin", [store])

    statement = statement_of(upload(owner, store, bca_csv([row, row], with_year=True)))

    assert [(x.status, x.candidates) for x in statement.lines] == [
        (LineStatus.AMBIGUOUS, [placed.id])] * 2
    assert len({x.fingerprint for x in statement.lines}) == 2  # the repeat is its own line
    first, second = statement.lines
    owner.post(f"/admin/statements/{statement.id}/pick",
               data={"line_id": first.id, "order_id": placed.id})
    page = follow(owner, owner.post(f"/admin/statements/{statement.id}/pick",
                                    data={"line_id": second.id, "order_id": placed.id}))

    assert "Baris dilewati" in page
    db.session.expire_all()
    assert [x.status for x in statement.lines] == [LineStatus.CONFIRMED, LineStatus.SKIPPED]
    assert db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.order_id == placed.id)) == 1


def test_an_admin_of_two_stores_uploads_for_the_store_chosen(login_as, two_stores):
    a, b = two_stores
    admin = login_as("admin", [a, b])
    form = text(admin.get(f"/admin/statements/?store_id={b.id}"))
    assert 'id="store-choice"' in form and f'name="store_id" value="{b.id}"' in form

    answer = upload(admin, b, bca_csv([(today(), "DARI X", Decimal("1000"), "CR")]),
                    preset="bri")
    assert "bukan mutasi BRI" in text(answer)
    statement = statement_of(upload(admin, b, bca_csv([(today(), "DARI X", Decimal("1000"),
                                                        "CR")])))

    assert statement.store_id == b.id and statement.lines[0].status == LineStatus.UNMATCHED
    db.session.expire_all()
    assert (a.statement_mapping, b.statement_mapping) == (None, {"preset": "bca"})


def test_the_review_page_in_english(login_as, shop_day):
    store, _orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))

    page = text(owner.get(f"/admin/statements/{statement.id}/?lang=en"))

    assert "Confirm all matches (2)" in page and "More than one order fits" in page
    assert "No order fits" in page and "Konfirmasi semua" not in page


def test_past_imports_are_listed_for_their_store_and_the_page_needs_a_login(
        client, login_as, shop_day):
    store, _orders, data = shop_day
    owner = login_as("admin", [store])
    statement = statement_of(upload(owner, store, data))

    listing = text(owner.get("/admin/statements/"))

    assert f'href="/admin/statements/{statement.id}/"' in listing
    assert "mutasi-bca.csv" in listing and "Toko Maju" in listing
    assert to_login(client.get("/admin/statements/"))
    assert to_login(client.post(f"/admin/statements/{statement.id}/confirm"))
