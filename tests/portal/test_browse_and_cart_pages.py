"""A signed-in dealer browses the parts (search by name or part number, category, pages,
the shop's price and the synced stock) and keeps a cart on the pages (seed 004 section 4B)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shop.extensions import db
from shop.models import CartItem
from shop.services import dealer_cart
from shop.services.dealer_prices import set_dealer_price
from shop.unit_of_work import commit

from .conftest import fill_cart, part


def codes_on(page: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', page)


def test_home_lists_the_parts_by_name_with_the_shops_price_and_the_list_price_struck(
        dealer, shop):
    set_dealer_price(shop, part(shop.store, "BUSI-NGK"), "15000")
    commit()
    page = dealer.get("/portal/").get_data(as_text=True)
    assert codes_on(page) == ["BUSI-NGK", "KAMPAS-REM", "OLI-MPX2", "OLI-SPX1"]
    assert "Rp 15.000" in page and '<s class="muted list-price">Rp 18.000</s>' in page
    assert "Rp 45.000" in page and "Rp 45.000</s>" not in page  # no discount: not struck


def test_search_finds_by_name_or_part_number_in_any_case(dealer):
    by_name = dealer.get("/portal/?q=oli").get_data(as_text=True)
    assert codes_on(by_name) == ["OLI-MPX2", "OLI-SPX1"]
    by_code = dealer.get("/portal/?q=kampas-rem").get_data(as_text=True)
    assert codes_on(by_code) == ["KAMPAS-REM"]
    nothing = dealer.get("/portal/?q=zzz").get_data(as_text=True)
    assert codes_on(nothing) == [] and "Tidak ada produk yang cocok." in nothing


def test_the_category_filter_keeps_one_category_and_shows_it_selected(dealer):
    page = dealer.get("/portal/?category=OIL").get_data(as_text=True)
    assert codes_on(page) == ["OLI-MPX2", "OLI-SPX1"]
    assert '<option value="OIL" selected>' in page and '<option value="SPARE_PART" >' in page


def test_pages_of_twenty_with_links_that_keep_the_search(dealer, make, shop):
    for n in range(25):
        make.product(shop.store, f"FLT-{n:02d}", "10000", name=f"Filter {n:02d}",
                     category="SPARE_PART")
    first = dealer.get("/portal/?q=filter").get_data(as_text=True)
    assert len(codes_on(first)) == 20 and "25 produk" in first
    assert 'href="/portal/?q=filter&amp;page=2"' in first
    second = dealer.get("/portal/?q=filter&page=2").get_data(as_text=True)
    assert codes_on(second) == [f"FLT-{n}" for n in range(20, 25)]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_stock_and_its_sync_time_are_shown_and_sold_out_parts_cannot_be_added(dealer, shop):
    synced = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
    oil, brake = part(shop.store, "OLI-MPX2"), part(shop.store, "KAMPAS-REM")
    oil.legacy_stock, oil.stock_synced_at = 12, synced
    brake.legacy_stock, brake.stock_synced_at = 0, synced
    commit()
    page = dealer.get("/portal/").get_data(as_text=True)
    assert "Stok 12" in page and "stok per 1 Des 2026, 10:00" in page
    assert "Stok habis" in page and page.count("disabled>") == 1


def test_the_product_page_shows_price_stock_and_the_quantity_to_add(dealer, shop):
    oil = part(shop.store, "OLI-MPX2")
    oil.description, oil.legacy_stock = "Oli mesin matic 0,8 liter", 7
    commit()
    page = dealer.get(f"/portal/parts/{oil.id}").get_data(as_text=True)
    assert "Oli mesin matic 0,8 liter" in page and "Stok 7" in page and "Rp 45.000" in page
    assert 'name="qty"' in page and 'max="7"' in page


def test_another_distributors_part_is_not_found(dealer, make):
    elsewhere = make.product(make.store("lain"), "OLI-MPX2", "1000")
    assert dealer.get(f"/portal/parts/{elsewhere.id}").status_code == 404


def test_add_to_cart_comes_back_with_the_badge_counting_the_units(dealer, shop):
    oil = part(shop.store, "OLI-MPX2")
    answer = dealer.post("/portal/cart/add", data={"product_id": oil.id, "qty": "3",
                                                   "next": "/portal/?q=oli"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/portal/?q=oli")
    dealer.post("/portal/cart/add", data={"product_id": oil.id, "qty": "2"})
    page = dealer.get("/portal/?q=oli").get_data(as_text=True)
    assert '<span id="cart-count" class="count">5</span>' in page
    assert "Oli AHM MPX2 0.8L masuk keranjang (5)." in page


def test_add_refusals_are_flashed_and_change_nothing(dealer, shop):
    oil = part(shop.store, "OLI-MPX2")
    oil.legacy_stock = 4
    commit()
    over = dealer.post("/portal/cart/add", data={"product_id": oil.id, "qty": "5"})
    assert over.status_code == 303
    assert "Stok Oli AHM MPX2 0.8L tinggal 4." in dealer.get("/portal/").get_data(as_text=True)
    bad = dealer.post("/portal/cart/add", data={"product_id": oil.id, "qty": "0"})
    assert bad.status_code == 303
    assert "Jumlah harus 1 sampai 1.000." in dealer.get("/portal/").get_data(as_text=True)
    assert dealer_cart.view_cart(shop).lines == []


def test_the_cart_page_shows_lines_totals_and_changes_them(dealer, shop):
    oil_item, plug_item = fill_cart(shop, ("OLI-MPX2", 2), ("BUSI-NGK", 1))
    page = dealer.get("/portal/cart").get_data(as_text=True)
    assert codes_on(page) == ["OLI-MPX2", "BUSI-NGK"]
    assert '<td class="num total" id="cart-total">Rp 108.000</td>' in page

    changed = dealer.post(f"/portal/cart/items/{oil_item}", data={"qty": "4"})
    assert changed.status_code == 303 and changed.headers["Location"].endswith("/portal/cart")
    assert [(ln.code, ln.qty) for ln in dealer_cart.view_cart(shop).lines] == [
        ("OLI-MPX2", 4), ("BUSI-NGK", 1)]

    assert dealer.post(f"/portal/cart/items/{plug_item}/remove").status_code == 303
    assert [ln.code for ln in dealer_cart.view_cart(shop).lines] == ["OLI-MPX2"]
    assert "Rp 180.000" in dealer.get("/portal/cart").get_data(as_text=True)

    assert dealer.post("/portal/cart/clear").status_code == 303
    assert dealer_cart.view_cart(shop).lines == []
    assert "Keranjang masih kosong." in dealer.get("/portal/cart").get_data(as_text=True)


def test_the_cart_warns_of_parts_over_the_stock_or_no_longer_sold(dealer, shop):
    fill_cart(shop, ("OLI-MPX2", 5), ("BUSI-NGK", 1))
    oil, plug = part(shop.store, "OLI-MPX2"), part(shop.store, "BUSI-NGK")
    oil.legacy_stock, plug.is_active = 3, False
    commit()
    page = dealer.get("/portal/cart").get_data(as_text=True)
    assert "Stok tinggal 3: kurangi jumlahnya." in page
    assert "Tidak dijual lagi: hapus dari keranjang." in page
    assert "Lanjut ke checkout" not in page


def test_a_quantity_above_the_stock_is_refused_on_the_cart_page(dealer, shop):
    (item,) = fill_cart(shop, ("OLI-MPX2", 2))
    part(shop.store, "OLI-MPX2").legacy_stock = 3
    commit()
    dealer.post(f"/portal/cart/items/{item}", data={"qty": "9"})
    assert "tinggal 3" in dealer.get("/portal/cart").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CartItem, item).qty == 2


def test_the_pages_speak_english_when_asked(dealer, shop):
    fill_cart(shop, ("OLI-MPX2", 1))
    page = dealer.get("/portal/cart?lang=en").get_data(as_text=True)
    assert "Cart" in page and "Keranjang masih" not in page and '<html lang="en">' in page
    assert "Continue to checkout" in page


def test_unreadable_part_ids_are_refused_without_an_error_page(dealer, shop, make):
    for product_id in ("²", "abc", "", "9" * 5000):
        answer = dealer.post("/portal/cart/add", data={"product_id": product_id, "qty": "1"})
        assert answer.status_code == 303, product_id
    elsewhere = make.product(make.store("lain"), "X-1", "1000")
    assert dealer.post("/portal/cart/add", data={"product_id": elsewhere.id,
                                                 "qty": "1"}).status_code == 404
    assert dealer_cart.view_cart(shop).lines == []

