"""The back office's products: forms through the catalog service, stock changed only with a
reason, photos, the low-stock filter, CSV import and export; store A's admin never reaches
store B's products; CSRF on every POST; shoppers' and admins' text shown escaped."""

from __future__ import annotations

import csv
import io
import os

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Product, ProductPhoto, StockMovement
from shop.services import catalog
from tests.conftest import counted
from tests.images import image_bytes

from .backoffice import csrf_enabled, csrf_token, follow, text, to_login

LIST = "/admin/products/"


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def stores(two_stores):
    a, b = two_stores
    product_a = db.session.scalar(select(Product).where(Product.code == "A-1"))
    product_b = db.session.scalar(select(Product).where(Product.code == "B-1"))
    return a, b, product_a, product_b


def product(product_id: int) -> Product | None:
    db.session.expire_all()
    return db.session.get(Product, product_id)


def form(**values) -> dict:
    """A product form as the page posts it (attributes as rows of inputs)."""
    data = {"code": "KAOS-M", "name": "Kaos Basic M", "price": "79.000", "description": "",
            "category": "Kaos", "is_active": "y", "low_stock_threshold": "5",
            "attributes-present": "1", "attributes-key": ["Ukuran", ""],
            "attributes-value": ["M", ""]}
    data.update(values)
    return data


def photo_file(fmt="PNG", name="foto.png", size=(2400, 1600)):
    return (io.BytesIO(image_bytes(fmt, size)), name)


def add_photo(admin, product_id: int, upload=None):
    return admin.post(f"{LIST}photos/?id={product_id}",
                      data={"photos": upload or photo_file()}, content_type="multipart/form-data")


# --- role matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("method, url", [
    ("get", LIST), ("get", f"{LIST}details/?id=1"), ("get", f"{LIST}new/"),
    ("get", f"{LIST}edit/?id=1"), ("get", f"{LIST}import/"), ("get", f"{LIST}export.csv"),
    ("post", f"{LIST}new/"), ("post", f"{LIST}edit/?id=1"), ("post", f"{LIST}delete/"),
    ("post", f"{LIST}action/"), ("post", f"{LIST}stock/"), ("post", f"{LIST}photos/"),
    ("post", f"{LIST}photos/move/"), ("post", f"{LIST}photos/delete/"),
    ("post", f"{LIST}import/"),
])
def test_anonymous_visitors_are_sent_to_the_login(client, stores, method, url):
    answer = getattr(client, method)(url, data={"id": "1", "stock": "0", "reason": "x"})

    assert to_login(answer)
    assert product(stores[2].id).stock is None


def test_an_admin_lists_only_its_stores_products(login_as, stores):
    a, b, mine, theirs = stores
    admin = login_as("admin", [a])

    page = text(admin.get(LIST))

    assert "Produk A" in page and "Produk B" not in page
    assert "Toko B" not in page  # not even in the store filter's options
    assert "List (1)" in page or "(1)" in page


def test_a_super_admin_lists_every_store(login_as, stores):
    page = text(login_as("super_admin").get(LIST))

    assert "Produk A" in page and "Produk B" in page


@pytest.mark.parametrize("url", ["details/?id={}", "edit/?id={}"])
def test_another_stores_product_by_guessed_id_answers_like_a_missing_one(login_as, stores, url):
    a, b, mine, theirs = stores
    admin = login_as("admin", [a])

    theirs_page = admin.get(LIST + url.format(theirs.id))
    missing_page = admin.get(LIST + url.format(999999))

    assert theirs_page.status_code == missing_page.status_code == 302
    assert "Produk B" not in follow(admin, theirs_page)
    assert admin.get(LIST + url.format("abc")).status_code == 302


def test_an_admin_cannot_change_or_delete_another_stores_product(login_as, stores, uploads):
    a, b, mine, theirs = stores
    catalog.add_photo(theirs, "f" * 32 + ".jpg", 10, 10)
    db.session.commit()
    photo_id = db.session.scalar(select(ProductPhoto.id))
    admin = login_as("admin", [a])

    admin.post(f"{LIST}edit/?id={theirs.id}", data=form(code="B-1", name="Diambil"))
    admin.post(f"{LIST}delete/", data={"id": theirs.id})
    admin.post(f"{LIST}action/", data={"action": "delete", "rowid": [theirs.id]})
    answers = [
        admin.post(f"{LIST}stock/", data={"id": theirs.id, "stock": "1", "reason": "x"}),
        add_photo(admin, theirs.id),
        admin.post(f"{LIST}photos/move/", data={"photo_id": photo_id, "direction": "down"}),
        admin.post(f"{LIST}photos/delete/", data={"photo_id": photo_id}),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    row = product(theirs.id)
    assert (row.name, row.stock) == ("Produk B", None)
    assert db.session.get(ProductPhoto, photo_id) is not None
    assert not uploads.exists() or not any(uploads.iterdir())


def test_an_admin_cannot_create_or_import_into_another_store(login_as, stores):
    a, b, *_ = stores
    admin = login_as("admin", [a])

    admin.post(f"{LIST}new/", data=form(store_id=b.id, code="SUSUP"))
    admin.post(f"{LIST}import/", data={"store_id": b.id, "file": (
        io.BytesIO(b"code,name,price\nSUSUP2,Susup,1000\n"), "p.csv")},
        content_type="multipart/form-data")

    assert db.session.scalars(select(Product.code).where(Product.store_id == b.id)).all() == [
        "B-1"]


def test_the_export_holds_only_the_admins_stores(login_as, stores):
    a, b, *_ = stores
    admin = login_as("admin", [a])

    answer = admin.get(f"{LIST}export.csv")

    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "A-1" in text(answer) and "B-1" not in text(answer)


def test_the_bulk_delete_deletes_only_the_admins_rows(login_as, stores):
    a, b, mine, theirs = stores
    admin = login_as("admin", [a])

    admin.post(f"{LIST}action/", data={"action": "delete", "rowid": [mine.id, theirs.id]})

    assert product(mine.id) is None and product(theirs.id) is not None


# --- forms ---------------------------------------------------------------------------------


def test_creating_a_product_with_attributes_and_initial_stock(login_as, stores):
    a, *_ = stores
    admin = login_as("admin", [a])

    page = follow(admin, admin.post(f"{LIST}new/", data=form(store_id=a.id,
                                                                initial_stock="12")))

    row = db.session.scalar(select(Product).where(Product.code == "KAOS-M"))
    assert (row.store_id, row.price, row.attributes, row.stock) == (a.id, 79000, {"Ukuran": "M"},
                                                                    12)
    assert "Stok awal" in page and admin.admin.email in page


def test_a_duplicate_code_is_a_form_error_not_a_500(login_as, stores):
    a, *_ = stores
    admin = login_as("admin", [a])

    answer = admin.post(f"{LIST}new/", data=form(store_id=a.id, code="A-1"))

    assert answer.status_code == 200
    assert "Kode sudah dipakai produk lain di toko ini." in text(answer)
    assert len(db.session.scalars(select(Product).where(Product.store_id == a.id)).all()) == 1


def test_an_edit_changes_fields_but_never_stock(login_as, stores):
    a, b, mine, _ = stores
    admin = login_as("admin", [a])
    catalog.adjust_stock(mine, 4, reason="awal", actor="test")
    db.session.commit()

    answer = admin.post(f"{LIST}edit/?id={mine.id}", data=form(
        code="A-1", name="Produk A baru", stock="999", **{
            "attributes-key": ["RAM", "CPU", ""], "attributes-value": ["1GB", "2 core", ""]}))

    assert answer.status_code == 302
    row = product(mine.id)
    assert (row.name, row.stock, row.attributes) == ("Produk A baru", 4,
                                                     {"RAM": "1GB", "CPU": "2 core"})


def test_bad_input_is_shown_on_its_field(login_as, stores):
    a, *_ = stores
    admin = login_as("admin", [a])

    page = text(admin.post(f"{LIST}new/", data=form(store_id=a.id, price="abc", **{
        "attributes-key": ["RAM", "RAM"], "attributes-value": ["1", "2"]})))

    assert "Tulis sebagai angka." in page
    assert db.session.scalar(select(Product).where(Product.code == "KAOS-M")) is None


# --- stock ---------------------------------------------------------------------------------


def test_changing_stock_needs_a_reason_and_is_listed_with_who_and_when(login_as, stores):
    a, b, mine, _ = stores
    admin = login_as("admin", [a])

    refused = follow(admin, admin.post(f"{LIST}stock/", data={"id": mine.id, "stock": "8",
                                                               "reason": ""}))
    done = follow(admin, admin.post(f"{LIST}stock/", data={"id": mine.id, "stock": "8",
                                                            "reason": "Barang datang"}))
    follow(admin, admin.post(f"{LIST}stock/", data={"id": mine.id, "untracked": "1",
                                                     "reason": "Pre-order"}))

    assert "Alasan wajib diisi." in refused
    assert "Stok A-1: tidak dilacak → 8." in done
    moves = db.session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
    assert [(m.stock_before, m.stock_after, m.reason, m.actor) for m in moves] == [
        (None, 8, "Barang datang", f"admin:{admin.admin.email}"),
        (8, None, "Pre-order", f"admin:{admin.admin.email}")]
    page = text(admin.get(f"{LIST}details/?id={mine.id}"))
    assert "Barang datang" in page and "Pre-order" in page and admin.admin.email in page


def test_the_low_stock_filter_lists_tracked_products_at_or_below_their_threshold(
        login_as, make, stores):
    a, *_ = stores
    for code, stock in (("HABIS", 0), ("SISA-3", 3), ("BANYAK", 50)):
        make.product(a, code, stock=stock, low_stock_threshold=5)
    admin = login_as("admin", [a])

    page = text(admin.get(f"{LIST}?flt0_stok_menipis_ya=1"))

    assert "HABIS" in page and "SISA-3" in page
    assert "BANYAK" not in page and "A-1" not in page


# --- photos --------------------------------------------------------------------------------


def test_photos_are_uploaded_resized_shown_reordered_and_removed(login_as, stores, uploads):
    a, b, mine, _ = stores
    admin = login_as("admin", [a])

    add_photo(admin, mine.id, photo_file("PNG"))
    add_photo(admin, mine.id, photo_file("JPEG", "dua.jpg"))
    photos = db.session.scalars(select(ProductPhoto).order_by(ProductPhoto.position)).all()
    first, second = photos
    assert (first.width, first.height) == (1200, 800)
    assert sorted(os.listdir(uploads)) == sorted([first.filename, second.filename])
    for page in (text(admin.get(f"{LIST}details/?id={mine.id}")), text(admin.get(LIST))):
        assert f"/uploads/{first.filename}" in page

    admin.post(f"{LIST}photos/move/", data={"photo_id": second.id, "direction": "up"})
    db.session.expire_all()
    assert [p.filename for p in product(mine.id).photos] == [second.filename, first.filename]

    admin.post(f"{LIST}photos/delete/", data={"photo_id": second.id})
    assert [p.filename for p in product(mine.id).photos] == [first.filename]
    assert os.listdir(uploads) == [first.filename]


def test_a_text_file_named_jpg_is_refused_with_a_message(login_as, stores, uploads):
    a, b, mine, _ = stores
    admin = login_as("admin", [a])

    page = follow(admin, add_photo(admin, mine.id, (io.BytesIO(b"not an image"), "x.jpg")))

    assert "File harus foto JPEG, PNG atau WebP." in page
    assert db.session.scalar(select(ProductPhoto.id)) is None


def test_a_photo_over_5_mb_is_refused(app, login_as, stores, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    a, b, mine, _ = stores
    admin = login_as("admin", [a])
    big = image_bytes("PNG", (20, 20)) + b"\0" * (5 * 1024 * 1024 + 1)

    page = follow(admin, add_photo(admin, mine.id, (io.BytesIO(big), "besar.png")))

    assert "Foto terlalu besar (maksimal 5 MB)." in page
    assert db.session.scalar(select(ProductPhoto.id)) is None


def test_an_upload_over_the_request_limit_is_refused_with_a_message(app, login_as, stores,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_REQUEST_MAX_BYTES", 1024 * 1024)
    a, b, mine, _ = stores
    admin = login_as("admin", [a])
    big = image_bytes("PNG", (20, 20)) + b"\0" * (2 * 1024 * 1024)

    page = follow(admin, add_photo(admin, mine.id, (io.BytesIO(big), "besar.png")))

    assert "Unggahan terlalu besar" in page
    assert db.session.scalar(select(ProductPhoto.id)) is None


def test_deleting_a_product_removes_its_photo_files(login_as, stores, uploads):
    a, b, mine, _ = stores
    admin = login_as("admin", [a])
    add_photo(admin, mine.id)

    admin.post(f"{LIST}delete/", data={"id": mine.id})

    assert product(mine.id) is None and os.listdir(uploads) == []


# --- escaping ------------------------------------------------------------------------------


def test_script_in_name_description_and_attributes_is_shown_escaped(login_as, make, stores):
    a, *_ = stores
    evil = make.product(a, "XSS", name="<script>alert('n')</script>",
                        description="<script>alert('d')</script>",
                        attributes={"<script>k</script>": "<script>v</script>"})
    admin = login_as("admin", [a])

    for url in (LIST, f"{LIST}details/?id={evil.id}", f"{LIST}edit/?id={evil.id}"):
        page = text(admin.get(url))
        assert "<script>alert" not in page and "<script>k" not in page, url
        assert "&lt;script&gt;alert(&#39;n&#39;)&lt;/script&gt;" in page, url


def test_a_nul_in_the_search_or_a_filter_is_not_a_500(login_as, stores):
    admin = login_as("admin", [stores[0]])

    assert admin.get(f"{LIST}?search=a%00b").status_code == 200
    assert admin.get(f"{LIST}?flt0_kategori_contains=a%00b").status_code == 200


# --- CSV -----------------------------------------------------------------------------------


def test_export_then_import_into_another_store_round_trips(login_as, make, stores):
    a, b, mine, _ = stores
    make.product(a, "=CMD", name="@SUM(A1)", stock=4, attributes={"RAM": "1GB"},
                 description="Baris 1\nBaris 2")
    admin = login_as("admin", [a, b])
    exported = admin.get(f"{LIST}export.csv?flt0_toko_equals={a.id}").data

    page = text(admin.post(f"{LIST}import/", data={"store_id": b.id, "file": (
        io.BytesIO(exported), "produk.csv")}, content_type="multipart/form-data"))

    assert 'class="created">2<' in page and 'class="rejected">0<' in page
    copied = db.session.scalar(select(Product).where(Product.store_id == b.id,
                                                     Product.code == "=CMD"))
    assert (copied.name, copied.stock, copied.attributes, copied.description) == (
        "@SUM(A1)", 4, {"RAM": "1GB"}, "Baris 1\nBaris 2")
    cells = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert ["'=CMD", "'@SUM(A1)"] == [c for c in cells[1] if c in ("'=CMD", "'@SUM(A1)")]


def test_an_import_shows_each_refused_row(login_as, stores):
    a, *_ = stores
    admin = login_as("admin", [a])
    csv_text = "code,name,price\nOK,Bagus,1000\nJELEK,<script>x</script>,abc\n"

    page = text(admin.post(f"{LIST}import/", data={"store_id": a.id, "file": (
        io.BytesIO(csv_text.encode()), "p.csv")}, content_type="multipart/form-data"))

    assert 'class="created">1<' in page and "<td>3</td>" in page
    assert "Harga tidak valid." in page and "<script>x" not in page


# --- CSRF ----------------------------------------------------------------------------------


def test_every_post_without_a_csrf_token_is_refused(app, login_as, stores):
    a, b, mine, _ = stores
    catalog.add_photo(mine, "e" * 32 + ".jpg", 10, 10)
    db.session.commit()
    photo_id = db.session.scalar(select(ProductPhoto.id))
    admin = login_as("admin", [a])
    posts = [
        (f"{LIST}new/", form(store_id=a.id)), (f"{LIST}edit/?id={mine.id}", form(code="A-1")),
        (f"{LIST}delete/", {"id": mine.id}),
        (f"{LIST}action/", {"action": "delete", "rowid": [mine.id]}),
        (f"{LIST}stock/", {"id": mine.id, "stock": "3", "reason": "x"}),
        (f"{LIST}photos/?id={mine.id}", {}),
        (f"{LIST}photos/move/", {"photo_id": photo_id, "direction": "down"}),
        (f"{LIST}photos/delete/", {"photo_id": photo_id}),
        (f"{LIST}import/", {"store_id": a.id}),
    ]
    with csrf_enabled(app):
        answers = [admin.post(url, data=data) for url, data in posts]
        assert db.session.scalar(select(Product).where(Product.code == "KAOS-M")) is None
        # The pages' own forms carry the token, and with it the same posts go through.
        create_page = text(admin.get(f"{LIST}new/"))
        token = csrf_token(admin, LIST)
        created = admin.post(f"{LIST}new/", data=form(store_id=a.id, csrf_token=token))
        stocked = admin.post(f"{LIST}stock/", data={"id": mine.id, "stock": "3",
                                                    "reason": "dengan token",
                                                    "csrf_token": token})

    assert [a.status_code for a in answers] == [400] * len(posts)
    assert 'name="csrf_token"' in create_page
    assert created.status_code == stocked.status_code == 302
    row = product(mine.id)
    assert (row.name, row.stock, len(row.photos)) == ("Produk A", 3, 1)
    assert db.session.scalar(select(Product).where(Product.code == "KAOS-M")) is not None


def test_the_list_runs_the_same_statements_for_3_or_20_products(login_as, make, stores,
                                                                 count_queries):
    a, b, mine, _ = stores
    admin = login_as("admin", [a])

    def statements() -> int:
        with count_queries() as seen:
            assert admin.get(LIST).status_code == 200
        return len(counted(seen))

    for n in range(2):
        catalog.add_photo(make.product(a, f"F{n}"), f"{n:032x}.png", 10, 10)
    few = statements()
    for n in range(2, 19):
        catalog.add_photo(make.product(a, f"F{n}", stock=n), f"{n:032x}.png", 10, 10)
    db.session.commit()

    assert statements() == few
