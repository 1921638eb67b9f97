"""A store's QRIS and unique transfer code on the store form (super admins): a good static
QRIS is saved and read back (merchant, city, NMID and the code), a wrong one is refused with
its reason and changes nothing, an empty one ends QRIS; the unique code switch saves."""

from __future__ import annotations

from shop.extensions import db
from shop.models import Store
from shop.services.qris import SAMPLE_STATIC_QRIS
from tests.services.test_qris import ISSUERS

FORM = {"slug": "burgerchina", "name": "Burger China", "whatsapp": "081111111111",
        "timezone": "Asia/Jakarta", "is_active": "y"}


def edit(client, store, **fields):
    return client.post(f"/admin/stores/edit/?id={store.id}", data={**FORM, **fields})


def saved(store) -> Store:
    db.session.expire_all()
    return db.session.get(Store, store.id)


def test_a_good_qris_is_saved_and_read_back_for_the_owner(login_as, burger):
    boss = login_as("super_admin")

    answer = edit(boss, burger, qris_payload="  " + ISSUERS["gopay"] + "\n",
                  unique_code_enabled="y")
    details = boss.get(f"/admin/stores/details/?id={burger.id}").get_data(as_text=True)

    assert answer.status_code == 302
    store = saved(burger)
    assert store.qris_payload == ISSUERS["gopay"] and store.unique_code_enabled is True
    assert "TOKO MAJU JAYA · BANDUNG · NMID ID1020012345678 · GoPay" in details
    assert '<svg role="img" aria-label="QRIS"' in details


def test_a_wrong_qris_is_refused_with_its_reason_and_changes_nothing(login_as, burger):
    boss = login_as("super_admin")
    edit(boss, burger, qris_payload=SAMPLE_STATIC_QRIS)
    broken = ISSUERS["dana"][:-4] + "0000"

    answer = edit(boss, burger, qris_payload=broken, name="Nama Baru")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "CRC QRIS tidak cocok" in page
    store = saved(burger)
    assert store.qris_payload == SAMPLE_STATIC_QRIS and store.name == "Burger China"


def test_an_empty_qris_ends_qris_payments(login_as, client, burger):
    boss = login_as("super_admin")
    edit(boss, burger, qris_payload=SAMPLE_STATIC_QRIS)

    edit(boss, burger, qris_payload="")
    checkout = client.get("/store/burgerchina/checkout").get_data(as_text=True)

    assert saved(burger).qris_payload is None and saved(burger).unique_code_enabled is False
    assert 'value="qris"' not in checkout


def test_a_store_with_a_qris_offers_it_at_checkout(login_as, client, burger):
    edit(login_as("super_admin"), burger, qris_payload=SAMPLE_STATIC_QRIS)

    checkout = client.get("/store/burgerchina/checkout").get_data(as_text=True)

    assert 'value="qris"' in checkout and "QRIS (semua e-wallet &amp; m-banking)" in checkout


def test_only_super_admins_edit_the_qris(login_as, burger):
    admin = login_as("admin", [burger])

    answer = edit(admin, burger, qris_payload=SAMPLE_STATIC_QRIS)

    assert answer.status_code in (302, 403, 404)
    assert saved(burger).qris_payload is None
