"""The catalog operations: products saved with validation, stock changed only with a reason
(and a row lock shared with checkout), photos, and the CSV round trip."""

from __future__ import annotations

import csv
import io
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.errors import DuplicateValue, InvalidInput, NotFound
from shop.extensions import db
from shop.models import Product, ProductPhoto, StockMovement
from shop.services import catalog, catalog_csv
from shop.services.access import Scope
from shop.services.csv_export import write_csv
from shop.services.inventory import reserve_stock

ADMIN = "admin:gudang@toko.test"


def new_product(store, **values):
    values = {"code": "KAOS-M", "name": "Kaos Basic M", "price": "79.000", **values}
    return catalog.save_product(store, None, values, actor=ADMIN,
                                initial_stock=values.pop("initial_stock", None))


def movements(product) -> list[tuple]:
    return [(m.stock_before, m.stock_after, m.reason, m.actor) for m in db.session.scalars(
        select(StockMovement).where(StockMovement.product_id == product.id)
        .order_by(StockMovement.id))]


# --- products ------------------------------------------------------------------------------


def test_a_new_product_is_saved_with_its_fields_and_initial_stock_recorded(make):
    store = make.store()

    product = new_product(store, description="Katun 30s", category="Kaos",
                          attributes=[("Ukuran", "M"), ("Bahan", "Katun")],
                          low_stock_threshold="3", initial_stock="25")

    assert (product.code, product.name, product.price, product.category) == (
        "KAOS-M", "Kaos Basic M", Decimal("79000.00"), "Kaos")
    assert product.attributes == {"Ukuran": "M", "Bahan": "Katun"}
    assert (product.stock, product.low_stock_threshold, product.is_active) == (25, 3, True)
    assert movements(product) == [(None, 25, "Stok awal", ADMIN)]


def test_without_initial_stock_the_product_does_not_track_stock(make):
    product = new_product(make.store())

    assert product.stock is None and not product.tracks_stock()
    assert movements(product) == []


@pytest.mark.parametrize("values, field", [
    ({"name": ""}, "name"),
    ({"code": "  "}, "code"),
    ({"code": "A\x00B"}, "code"),
    ({"price": ""}, "price"),
    ({"price": "-5"}, "price"),
    ({"price": "abc"}, "price"),
    ({"name": "x" * 201}, "name"),
    ({"low_stock_threshold": "-1"}, "low_stock_threshold"),
    ({"attributes": [("RAM", "1GB"), ("RAM", "2GB")]}, "attributes"),
    ({"attributes": [("", "tanpa nama")]}, "attributes"),
])
def test_invalid_fields_are_refused_on_their_field(make, values, field):
    with pytest.raises(InvalidInput) as refused:
        new_product(make.store(), **values)

    assert field in refused.value.fields


def test_a_code_is_unique_per_store_not_across_stores(make):
    a, b = make.store(), make.store()
    new_product(a)

    with pytest.raises(DuplicateValue) as refused:
        new_product(a, name="Kaos lain")
    other_store = new_product(b)

    assert refused.value.fields == {"code": "Kode sudah dipakai produk lain di toko ini."}
    assert other_store.store_id == b.id


def test_an_edit_keeps_its_own_code_and_never_touches_stock(make):
    store = make.store()
    product = new_product(store, initial_stock="5")

    catalog.save_product(store, product, {"code": "KAOS-M", "name": "Kaos Premium M",
                                          "price": "99000", "stock": 500}, actor=ADMIN)

    assert (product.name, product.price, product.stock) == ("Kaos Premium M", 99000, 5)


def test_script_text_is_kept_as_plain_text(make):
    product = new_product(make.store(), name="<script>alert(1)</script>",
                          attributes={"<b>": "<img src=x onerror=alert(1)>"})

    assert product.name == "<script>alert(1)</script>"
    assert product.attributes == {"<b>": "<img src=x onerror=alert(1)>"}


# --- stock ---------------------------------------------------------------------------------


def test_a_stock_change_records_who_why_before_and_after(make):
    product = new_product(make.store(), initial_stock="10")

    movement = catalog.adjust_stock(product, "4", reason="Stok opname", actor=ADMIN)
    catalog.adjust_stock(product, None, reason="Dibuat sesuai pesanan", actor=ADMIN)
    catalog.adjust_stock(product, 7, reason="Mulai dilacak lagi", actor=ADMIN)

    assert (movement.stock_before, movement.stock_after) == (10, 4)
    assert product.stock == 7
    assert movements(product)[1:] == [(10, 4, "Stok opname", ADMIN),
                                      (4, None, "Dibuat sesuai pesanan", ADMIN),
                                      (None, 7, "Mulai dilacak lagi", ADMIN)]


@pytest.mark.parametrize("stock, reason, field", [
    ("3", "", "reason"), ("3", "   ", "reason"), ("-1", "x", "stock"), ("1.5", "x", "stock"),
    ("²", "x", "stock"), ("9" * 5000, "x", "stock"), (True, "x", "stock"), ("10", "x", "stock"),
])
def test_a_stock_change_without_reason_or_with_a_bad_number_changes_nothing(
        make, stock, reason, field):
    product = new_product(make.store(), initial_stock="10")
    db.session.commit()

    with pytest.raises(InvalidInput) as refused:
        catalog.adjust_stock(product, stock, reason=reason, actor=ADMIN)

    assert field in refused.value.fields
    db.session.rollback()
    assert db.session.get(Product, product.id).stock == 10
    assert len(movements(product)) == 1


def test_low_stock_means_tracked_and_at_most_the_threshold(make):
    store = make.store()
    for code, stock in (("NONE", None), ("ZERO", 0), ("LOW", 3), ("EDGE", 5), ("OK", 6)):
        make.product(store, code, stock=stock, low_stock_threshold=5)

    low = db.session.scalars(select(Product.code).where(
        Product.store_id == store.id, catalog.low_stock_condition()).order_by(Product.code))

    assert list(low) == ["EDGE", "LOW", "ZERO"]


@pytest.mark.backends("postgresql")
def test_a_stock_change_waits_for_a_checkout_that_holds_the_row(app, committed):
    """The checkout reserved 2 of 10 and has not committed: the admin's count of 15 waits
    for it, then records 8 -> 15 (not the stale 10 -> 15), and no unit is lost."""
    store = committed.store("kunci")
    product_id = committed.product(store, "KOPI", "10000", stock=10).id
    db.session.remove()
    reserved, release, results = threading.Event(), threading.Event(), {}

    def checkout():
        with app.app_context():
            reserve_stock([(product_id, 2, "Kopi")])
            reserved.set()
            release.wait(10)
            db.session.commit()

    def count():
        with app.app_context():
            reserved.wait(10)
            product = db.session.get(Product, product_id)
            movement = catalog.adjust_stock(product, 15, reason="Stok opname", actor=ADMIN)
            db.session.commit()
            results["movement"] = (movement.stock_before, movement.stock_after)

    threads = [threading.Thread(target=checkout), threading.Thread(target=count)]
    for thread in threads:
        thread.start()
    reserved.wait(10)
    threads[1].join(timeout=0.5)
    waited = threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert waited, "the stock change did not wait for the checkout's row lock"
    assert results["movement"] == (8, 15)
    with app.app_context():
        assert db.session.get(Product, product_id).stock == 15
        db.session.remove()


# --- photos --------------------------------------------------------------------------------


def photo_names(product) -> list[str]:
    db.session.expire(product, ["photos"])
    return [p.filename for p in product.photos]


def name(n: int) -> str:
    return f"{n:032x}.jpg"


def test_photos_are_added_last_moved_and_removed_closing_ranks(make):
    product = new_product(make.store())
    photos = [catalog.add_photo(product, name(n), 100, 100) for n in (1, 2, 3)]

    catalog.move_photo(photos[2], -1)
    catalog.move_photo(photos[0], -1)  # already first: stays
    assert photo_names(product) == [name(1), name(3), name(2)]

    removed = catalog.remove_photo(photos[0])
    assert removed == name(1)
    assert photo_names(product) == [name(3), name(2)]
    assert [p.position for p in product.photos] == [0, 1]


def test_at_most_ten_photos_per_product(make):
    product = new_product(make.store())
    for n in range(catalog.MAX_PHOTOS):
        catalog.add_photo(product, name(n), 10, 10)

    with pytest.raises(InvalidInput, match="Maksimal 10 foto"):
        catalog.add_photo(product, name(99), 10, 10)


def test_a_photo_of_another_store_is_not_found(make):
    a, b = make.store(), make.store()
    photo = catalog.add_photo(new_product(b), name(1), 10, 10)
    only_a = Scope(frozenset({a.id}), False, ADMIN)

    with pytest.raises(NotFound):
        catalog.get_photo(only_a, photo.id)
    with pytest.raises(NotFound):
        catalog.get_photo(only_a, "1 OR 1=1")
    assert catalog.get_photo(Scope(None, True, ADMIN), photo.id) is photo


def test_deleting_a_product_hands_back_its_photo_files(make):
    product = new_product(make.store())
    catalog.add_photo(product, name(1), 10, 10)
    catalog.add_photo(product, name(2), 10, 10)

    files = catalog.delete_product(product)

    assert files == [name(1), name(2)]
    assert db.session.scalar(select(ProductPhoto.id)) is None


# --- CSV -----------------------------------------------------------------------------------


def export_text(store) -> str:
    products = db.session.scalars(select(Product).where(Product.store_id == store.id)
                                  .order_by(Product.code))
    return write_csv(catalog_csv.HEADER, catalog_csv.export_rows(products))


def fields(store) -> list[tuple]:
    return [(p.code, p.name, p.description, p.category, p.price, p.stock,
             p.low_stock_threshold, p.is_active, p.attributes) for p in db.session.scalars(
        select(Product).where(Product.store_id == store.id).order_by(Product.code))]


def test_export_then_import_into_another_store_gives_the_same_products(make):
    source, target = make.store(), make.store()
    new_product(source, description="Baris 1\nBaris 2", category="Kaos",
                attributes={"Ukuran": "M", "Warna": "=merah"}, initial_stock="12")
    new_product(source, code="=1+1", name="-Diskon", price="0", is_active=False)
    new_product(source, code="TOPI", name='Topi "Bucket", hitam', price="1.500,50",
                low_stock_threshold="0", initial_stock="0")
    text = export_text(source)

    report = catalog_csv.import_products(target, text, actor=ADMIN)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, [])
    assert fields(target) == fields(source)
    assert "'=1+1" in text and "'-Diskon" in text and "'=merah" not in text


def test_importing_the_export_again_changes_nothing(make):
    store = make.store()
    new_product(store, initial_stock="5", attributes={"RAM": "1GB"})
    before = fields(store)

    report = catalog_csv.import_products(store, export_text(store), actor=ADMIN)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert fields(store) == before
    assert len(db.session.scalars(select(StockMovement)).all()) == 1


def test_an_import_updates_known_codes_and_changes_stock_with_a_reason(make):
    store = make.store()
    product = new_product(store, initial_stock="5")
    text = "code,name,price,stock\nKAOS-M,Kaos Basic M,85000,9\nBARU,Produk Baru,1000,\n"

    report = catalog_csv.import_products(store, text, actor=ADMIN)

    assert (report.created, report.updated) == (1, 1)
    assert (product.price, product.stock) == (Decimal("85000.00"), 9)
    assert movements(product)[-1] == (5, 9, "Impor CSV", ADMIN)
    baru = db.session.scalar(select(Product).where(Product.code == "BARU"))
    assert baru.stock is None


def test_bad_rows_are_reported_with_their_line_and_the_others_imported(make):
    store = make.store()
    text = ("code,name,price,stock,is_active,attributes\n"
            "OK-1,Bagus,1000,,1,\n"
            ",Tanpa kode,1000,,1,\n"
            "OK-2,Harga salah,abc,,1,\n"
            "OK-1,Dobel,1000,,1,\n"
            "OK-3,Stok minus,1000,-2,1,\n"
            "OK-4,Status aneh,1000,,mungkin,\n"
            'OK-5,JSON rusak,1000,,1,"[1,2]"\n'
            "OK-6,Juga bagus,2000,3,0,\n")

    report = catalog_csv.import_products(store, text, actor=ADMIN)

    assert report.created == 2
    assert [line for line, _ in report.rejected] == [3, 4, 5, 6, 7, 8]
    assert "baris 2" in dict(report.rejected)[5]
    assert sorted(code for code, *_ in fields(store)) == ["OK-1", "OK-6"]


def test_a_file_without_the_required_columns_is_refused(make):
    with pytest.raises(InvalidInput, match="code, name, price"):
        catalog_csv.import_products(make.store(), "kode,nama\nA,B\n", actor=ADMIN)


def test_an_uploaded_file_must_be_utf8_text(make):
    with pytest.raises(InvalidInput, match="UTF-8"):
        catalog_csv.import_product_file(make.store(), b"code,name,price\n\xff\xfe,x,1\n",
                                        actor=ADMIN)


def test_the_export_neutralises_formulas_in_every_cell(make):
    store = make.store()
    new_product(store, code="@SUM", name="=HYPERLINK(\"http://x\")", description="+1",
                category="-2")

    rows = list(csv.reader(io.StringIO(export_text(store).lstrip("\ufeff"))))

    assert rows[1][1:5] == ["'@SUM", "'=HYPERLINK(\"http://x\")", "'+1", "'-2"]
