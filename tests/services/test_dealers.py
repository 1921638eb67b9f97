"""Dealer shops and sales staff of seed 004: codes TK001, unique phones, a salesman of the
same store, a supervisor who is an spv of the same store."""

from __future__ import annotations

import pytest

from shop.errors import DuplicateValue, InvalidInput, NotAllowed
from shop.extensions import db
from shop.models import SalesStaff, Shop, StaffPosition
from shop.services.dealers import (
    delete_sales_staff,
    save_sales_staff,
    save_shop,
    staff_choices,
)


def staff(store, name, position="sales", **values):
    return save_sales_staff(store, None, {"name": name, "position": position, **values})


def shop(store, code="TK001", phone="081234567890", **values):
    return save_shop(store, None, {"code": code, "name": "Toko Jaya Motor", "phone": phone,
                                   **values})


def test_a_shop_is_saved_with_its_code_normalized_phone_and_salesman(make):
    store = make.store()
    budi = staff(store, "Budi")

    toko = shop(store, code="tk001", phone="+62 812-3456-7890", city="Bandung",
                province="Jawa Barat", ref_toko_id="1234", salesman_id=str(budi.id),
                address="Jl. Asia Afrika 1")

    assert (toko.code, toko.phone, toko.city, toko.ref_toko_id, toko.salesman) == (
        "TK001", "6281234567890", "Bandung", 1234, budi)
    assert toko.is_active is True


@pytest.mark.parametrize("values, field", [
    ({"code": "T001"}, "code"), ({"code": "TK"}, "code"), ({"code": "TK01A"}, "code"),
    ({"phone": "12"}, "phone"), ({"name": ""}, "name"), ({"ref_toko_id": "-3"}, "ref_toko_id"),
    ({"ref_toko_id": "x"}, "ref_toko_id"), ({"city": "a\x00b"}, "city"),
])
def test_invalid_shop_fields_are_refused_on_their_field(make, values, field):
    with pytest.raises(InvalidInput) as refused:
        shop(make.store(), **values)

    assert field in refused.value.fields


def test_code_and_phone_are_unique_across_stores(make):
    a, b = make.store(), make.store()
    first = shop(a)

    with pytest.raises(DuplicateValue) as same_code:
        shop(b, phone="081298765432")
    with pytest.raises(DuplicateValue) as same_phone:
        shop(b, code="TK002", phone="6281234567890")
    save_shop(a, first, {"code": "TK001", "phone": "081234567890", "name": "Ganti nama"})

    assert "code" in same_code.value.fields and "phone" in same_phone.value.fields
    assert first.name == "Ganti nama"


def test_the_salesman_must_be_a_sales_of_the_same_store(make):
    a, b = make.store(), make.store()
    spv = staff(a, "Sari", "spv")
    other_store = staff(b, "Joko")

    for person in (spv, other_store):
        with pytest.raises(InvalidInput) as refused:
            shop(a, salesman_id=person.id)
        assert "salesman_id" in refused.value.fields
    with pytest.raises(InvalidInput):
        shop(a, salesman_id=99999)


def test_a_shop_of_another_store_cannot_be_saved_through_this_store(make):
    a, b = make.store(), make.store()
    toko = shop(b)

    with pytest.raises(NotAllowed):
        save_shop(a, toko, {"name": "Diambil alih"})


def test_a_salesman_has_an_spv_of_the_same_store_as_supervisor(make):
    a, b = make.store(), make.store()
    sari = staff(a, "Sari", "spv")
    budi = staff(a, "Budi", supervisor_id=str(sari.id), phone="0812 1111 2222")

    assert (budi.supervisor, budi.position, budi.phone) == (
        sari, StaffPosition.SALES, "6281211112222")
    cases = [
        (staff(a, "Andi"), "bukan spv"),  # a salesman is no supervisor
        (staff(b, "Rina", "spv"), "tidak ditemukan"),  # an spv of another store
    ]
    for supervisor, message in cases:
        with pytest.raises(InvalidInput, match=message):
            save_sales_staff(a, budi, {"supervisor_id": supervisor.id})


def test_nobody_supervises_themselves_and_an_spv_has_no_supervisor(make):
    store = make.store()
    sari = staff(store, "Sari", "spv")
    dewi = staff(store, "Dewi", "spv")

    with pytest.raises(InvalidInput, match="Hanya sales"):
        save_sales_staff(store, sari, {"supervisor_id": dewi.id})
    with pytest.raises(InvalidInput):
        save_sales_staff(store, sari, {"position": "sales", "supervisor_id": sari.id})


def test_a_position_outside_sales_and_spv_is_refused(make):
    with pytest.raises(InvalidInput) as refused:
        staff(make.store(), "Bos", "manager")

    assert refused.value.fields == {"position": "sales atau spv."}


def test_position_changes_keep_shops_and_teams_consistent(make):
    store = make.store()
    sari = staff(store, "Sari", "spv")
    budi = staff(store, "Budi", supervisor_id=sari.id)
    shop(store, salesman_id=budi.id)

    with pytest.raises(InvalidInput, match="supervisor dari 1 sales"):
        save_sales_staff(store, sari, {"position": "sales"})
    with pytest.raises(InvalidInput, match="salesman dari 1 toko"):
        save_sales_staff(store, budi, {"position": "spv", "supervisor_id": ""})


def test_staff_who_serve_shops_or_lead_a_team_are_not_deleted(make):
    store = make.store()
    sari = staff(store, "Sari", "spv")
    budi = staff(store, "Budi", supervisor_id=sari.id)
    shop(store, salesman_id=budi.id)
    free = staff(store, "Andi")

    for person in (sari, budi):
        with pytest.raises(InvalidInput, match="nonaktifkan"):
            delete_sales_staff(person)
    delete_sales_staff(free)

    assert db.session.get(SalesStaff, free.id) is None
    assert db.session.query(Shop).count() == 1


def test_choices_are_limited_to_the_given_stores(make):
    a, b = make.store(), make.store()
    staff(a, "Budi")
    staff(b, "Joko")
    staff(a, "Sari", "spv")

    names = [p.name for p in staff_choices({a.id}, StaffPosition.SALES)]
    every = [p.name for p in staff_choices(None, StaffPosition.SALES)]

    assert names == ["Budi"] and every == ["Budi", "Joko"]
