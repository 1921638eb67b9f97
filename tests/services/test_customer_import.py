"""Bulk import of existing customers from CSV: normalized, de-duplicated, every refusal told."""

import pytest
from sqlalchemy import func, select

from shop.errors import InvalidInput
from shop.extensions import db
from shop.models import Customer
from shop.services.customer_import import import_customers

CSV = """name,phone,email,address
Budi,081234567890,budi@email.com,Jl. Sudirman 123
Siti,+62 812-9999-0000,,Jl. Thamrin 5
Budi Lagi,6281234567890,budi2@email.com,Jl. Lain
,081200000000,x@y.z,Tanpa nama
Rudi,12345,rudi@email.com,Nomor salah
Ani,081311112222,ani@,Email salah
"""


def customers(store):
    return db.session.scalars(
        select(Customer).where(Customer.store_id == store.id).order_by(Customer.phone)).all()


def test_import_normalizes_dedupes_and_reports_every_rejected_row(make):
    store = make.store()
    report = import_customers(store, CSV)
    db.session.commit()
    assert (report.created, report.merged) == (2, 0)
    reasons = dict(report.rejected)
    assert sorted(reasons) == [4, 5, 6, 7]
    assert "baris 2" in reasons[4]
    assert "nama" in reasons[5]
    assert "nomor HP tidak valid" in reasons[6]
    assert "email tidak valid" in reasons[7]
    assert [(c.name, c.phone, c.email) for c in customers(store)] == [
        ("Budi", "6281234567890", "budi@email.com"), ("Siti", "6281299990000", None)]


def test_known_customer_keeps_checkout_data_and_gets_blanks_filled(make):
    store = make.store()
    make.customer(store, phone="6281234567890", name="Budi Santoso", email=None,
                  address="Alamat dari checkout")
    report = import_customers(store, "name,phone,email,address\n"
                                     "Budi,081234567890,budi@email.com,Alamat lama\n")
    db.session.commit()
    assert (report.created, report.merged) == (0, 1)
    (customer,) = customers(store)
    assert (customer.name, customer.email, customer.address) == (
        "Budi Santoso", "budi@email.com", "Alamat dari checkout")


def test_import_is_per_store(make):
    a, b = make.store(), make.store()
    make.customer(a, phone="6281234567890")
    report = import_customers(b, "name,phone\nBudi,081234567890\n")
    db.session.commit()
    assert report.created == 1 and len(customers(b)) == 1


def test_header_in_another_order_and_bom_are_accepted(make):
    store = make.store()
    report = import_customers(store, "\ufeffphone,name\n081234567890,Budi\n")
    assert report.created == 1


@pytest.mark.parametrize("text", ["", "nama,telepon\nBudi,0812\n", "just some text"])
def test_file_without_the_columns_is_refused_and_imports_nothing(make, text):
    store = make.store()
    with pytest.raises(InvalidInput, match="name,phone"):
        import_customers(store, text)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
