"""Back-office views: the dealer shops (toko) of seed 004 and the sales staff (sales and spv)
of the admin's stores; saved through shop.services.dealers."""

from __future__ import annotations

from flask import flash, request
from flask_admin import Admin
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual, IntEqualFilter
from flask_admin.form import BaseForm
from sqlalchemy import or_
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ...errors import InvalidInput, ShopError
from ...extensions import db
from ...models import SalesStaff, Shop, StaffPosition, Store
from ...services import dealers
from ...services.crm import choose_store
from ...services.phones import local_phone, normalize_phone
from ...unit_of_work import commit
from .b2b import DealerPricesMixin
from .base import ScopedModelView, current_scope
from .form_fields import DETAIL_FORMATTERS, CleanFilterLike, CleanSearchMixin
from .saving import offer_stores, refused, store_names

STORE_FILTER = "Toko"
POSITION_LABELS = {StaffPosition.SALES: "Sales", StaffPosition.SUPERVISOR: "Supervisor (spv)"}
SHOP_FIELDS = ("code", "name", "phone", "address", "city", "province", "ref_toko_id",
               "salesman_id", "discount_percent", "is_active")
STAFF_FIELDS = ("name", "phone", "position", "supervisor_id", "ref_salesman_id", "is_active")

_shop_store = SelectField("Toko (distributor)", coerce=int, validate_choice=True)
_staff_store = SelectField("Toko", coerce=int, validate_choice=True)


class ShopForm(BaseForm):
    code = StringField("Kode toko", validators=[InputRequired("Wajib diisi.")],
                       description="TK diikuti angka, mis. TK001")
    name = StringField("Nama toko", validators=[InputRequired("Wajib diisi.")])
    phone = StringField("Nomor WhatsApp", validators=[InputRequired("Wajib diisi.")],
                        description="Kode OTP login toko dikirim ke nomor ini.")
    address = TextAreaField("Alamat")
    city = StringField("Kota")
    province = StringField("Provinsi")
    ref_toko_id = StringField("Id toko di sistem lama (tbltoko)")
    salesman_id = SelectField("Salesman", coerce=str, validate_choice=False)
    discount_percent = StringField(
        "Diskon dealer (%)", default="0",
        description="Dari harga daftar, untuk produk tanpa harga dealer khusus.")
    is_active = BooleanField("Aktif", default=True)


class ShopCreateForm(ShopForm):
    store_id = _shop_store


class StaffForm(BaseForm):
    name = StringField("Nama", validators=[InputRequired("Wajib diisi.")])
    phone = StringField("Nomor HP / WhatsApp")
    position = SelectField("Jabatan", coerce=str, validate_choice=False,
                           choices=[(p.value, label) for p, label in POSITION_LABELS.items()])
    supervisor_id = SelectField("Supervisor (untuk sales)", coerce=str, validate_choice=False)
    ref_salesman_id = StringField("Id salesman di sistem lama (tblsalesman)",
                                  description="Dipakai sebagai fk_salesman SO.")
    is_active = BooleanField("Aktif", default=True)


class StaffCreateForm(StaffForm):
    store_id = _staff_store


def _staff_options(position: StaffPosition) -> list[tuple[str, str]]:
    """The admin's staff in one position, labelled with their store, and "none" first."""
    names = store_names()
    people = dealers.staff_choices(current_scope().store_ids, position)
    label = "{} · {}" if len(names) > 1 else "{}"
    return [("", "—"), *((str(p.id), label.format(p.name, names.get(p.store_id, "")))
                         for p in people)]


class DealerView(CleanSearchMixin, ScopedModelView):
    """What shops and staff share: store filter and choices, id checks, saving."""

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        if groups and STORE_FILTER in groups:
            for item in groups[STORE_FILTER]:
                item["options"] = [(str(i), n) for i, n in store_names().items()]
        return groups

    def create_form(self, obj=None):
        return self._choices(offer_stores(super().create_form(obj)))

    def edit_form(self, obj=None):
        form = self._choices(super().edit_form(obj))
        if request.method == "GET" and obj is not None and obj.phone:
            form.phone.data = local_phone(obj.phone)
        return form

    def _choices(self, form):
        return form

    def create_model(self, form):
        return self._save(form, None)

    def update_model(self, form, model) -> bool:
        return bool(self._save(form, model))

    def _save(self, form, row):
        try:
            store = self._store(form, row)
            row = self.save(store, row, {n: form[n].data for n in self.form_fields})
            commit()
        except ShopError as error:
            return refused(form, error)
        return row

    def _store(self, form, row) -> Store:
        if row is not None:
            return db.session.get(Store, row.store_id)
        return choose_store(current_scope(), form.store_id.data)

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)


class ShopView(DealerPricesMixin, DealerView):
    """Dealer shops: code TK001, unique phone, one salesman of the same store; their dealer
    prices on a page of their own (shop/admin/views/b2b.py)."""

    details_template = "admin/b2b/shop_details.html"
    column_list = ("code", "name", "phone", "city", "province", "salesman", "store_id",
                   "is_active")
    column_details_list = ("code", "name", "phone", "address", "city", "province",
                           "ref_toko_id", "salesman", "discount_percent", "store_id",
                           "is_active", "created_at", "updated_at")
    column_labels = {"code": "Kode", "name": "Nama", "phone": "WhatsApp", "city": "Kota",
                     "province": "Provinsi", "salesman": "Salesman", "store_id": "Toko",
                     "discount_percent": "Diskon dealer (%)",
                     "is_active": "Aktif", "address": "Alamat", "ref_toko_id": "Id toko lama",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_sortable_list = ("code", "name", "city", "province")
    column_default_sort = "code"
    column_searchable_list = ("code", "name", "city")
    named_filter_urls = True
    column_filters = (
        BooleanEqualFilter(Shop.is_active, "Aktif"),
        CleanFilterLike(Shop.city, "Kota"),
        CleanFilterLike(Shop.province, "Provinsi"),
        IntEqualFilter(Shop.store_id, STORE_FILTER, options=[("0", "-")]),
    )
    column_formatters = {
        "phone": lambda v, c, m, n: local_phone(m.phone),
        "salesman": lambda v, c, m, n: m.salesman.name if m.salesman else "-",
        "store_id": lambda v, c, m, n: store_names().get(m.store_id, ""),
    }
    column_formatters_detail = {**column_formatters, **DETAIL_FORMATTERS}
    form = ShopForm
    form_fields = SHOP_FIELDS
    save = staticmethod(dealers.save_shop)

    def get_create_form(self):
        return ShopCreateForm

    def get_query(self):
        return super().get_query().options(joinedload(Shop.salesman))

    def _choices(self, form):
        form.salesman_id.choices = _staff_options(StaffPosition.SALES)
        if request.method == "GET" and form.salesman_id.data in (None, "None"):
            form.salesman_id.data = ""
        return form

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """A phone in any written form (0812..., +62 812...) finds its shop."""
        try:
            phone = normalize_phone(search)
        except InvalidInput:
            return super()._apply_search(query, count_query, joins, count_joins, search)
        found = or_(Shop.phone == phone, Shop.code == search.strip().upper())
        count_query = count_query.filter(found) if count_query is not None else None
        return query.filter(found), count_query, joins, count_joins

    def delete_model(self, model) -> bool:
        dealers.delete_shop(model)
        commit()
        return True


class SalesStaffView(DealerView):
    """Salesmen and supervisors (spv); a salesman's supervisor is an spv of its store."""

    column_list = ("name", "phone", "position", "supervisor", "store_id", "is_active")
    column_details_list = ("name", "phone", "position", "supervisor", "ref_salesman_id",
                           "store_id", "is_active", "created_at", "updated_at")
    column_labels = {"name": "Nama", "phone": "Nomor HP", "position": "Jabatan",
                     "supervisor": "Supervisor", "store_id": "Toko", "is_active": "Aktif",
                     "ref_salesman_id": "Id salesman lama",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_sortable_list = ("name", "position")
    column_default_sort = "name"
    column_searchable_list = ("name", "phone")
    named_filter_urls = True
    column_filters = (
        FilterEqual(SalesStaff.position, "Jabatan",
                    options=[(p.value, label) for p, label in POSITION_LABELS.items()]),
        BooleanEqualFilter(SalesStaff.is_active, "Aktif"),
        IntEqualFilter(SalesStaff.store_id, STORE_FILTER, options=[("0", "-")]),
    )
    column_formatters = {
        "phone": lambda v, c, m, n: local_phone(m.phone) if m.phone else "-",
        "position": lambda v, c, m, n: POSITION_LABELS[m.position],
        "supervisor": lambda v, c, m, n: m.supervisor.name if m.supervisor else "-",
        "store_id": lambda v, c, m, n: store_names().get(m.store_id, ""),
    }
    column_formatters_detail = {**column_formatters, **DETAIL_FORMATTERS}
    form = StaffForm
    form_fields = STAFF_FIELDS
    save = staticmethod(dealers.save_sales_staff)

    def get_create_form(self):
        return StaffCreateForm

    def get_query(self):
        return super().get_query().options(joinedload(SalesStaff.supervisor))

    def _choices(self, form):
        form.supervisor_id.choices = _staff_options(StaffPosition.SUPERVISOR)
        if request.method == "GET":
            if form.supervisor_id.data in (None, "None"):
                form.supervisor_id.data = ""
            if hasattr(form.position.data, "value"):
                form.position.data = form.position.data.value
        return form

    def delete_model(self, model) -> bool:
        try:
            dealers.delete_sales_staff(model)
            commit()
        except ShopError as error:
            db.session.rollback()
            flash(error.message, "error")
            return False
        return True


def register(admin: Admin) -> None:
    """Add this area's views to the back office."""
    admin.add_view(ShopView(Shop, name="Toko dealer", endpoint="dealer_shops",
                            category="Dealer"))
    admin.add_view(SalesStaffView(SalesStaff, name="Sales & SPV", endpoint="sales_staff",
                                  category="Dealer"))
