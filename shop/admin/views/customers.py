"""Back-office views: the customers of seed 003 (CRM), with detail analytics, CSV import and
export. Every change goes through shop.services.crm."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual, IntEqualFilter
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from markupsafe import Markup
from sqlalchemy import false
from werkzeug.routing import BuildError
from wtforms import DateField, FileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from ... import clock
from ...errors import ShopError
from ...extensions import db
from ...models import Customer, CustomerStatus, CustomerType, Gender, MembershipLevel
from ...services import crm
from ...services.customer_stats import customer_detail_stats
from ...services.money import format_rupiah, money_json
from ...services.phones import local_phone
from ...unit_of_work import commit
from ...web import MONTHS_ID, local_datetime
from .base import ScopedModelView, csv_download, current_scope

TYPE_LABELS = {CustomerType.WALK_IN: "Walk-in", CustomerType.MEMBER: "Member",
               CustomerType.VIP: "VIP"}
STATUS_LABELS = {CustomerStatus.ACTIVE: "Aktif", CustomerStatus.INACTIVE: "Tidak aktif",
                 CustomerStatus.BLOCKED: "Diblokir"}
GENDER_LABELS = {Gender.MALE: "Laki-laki", Gender.FEMALE: "Perempuan", Gender.OTHER: "Lainnya"}
BADGES = {"walk-in": "secondary", "member": "info", "vip": "warning", "active": "success",
          "inactive": "secondary", "blocked": "danger", "Bronze": "secondary",
          "Silver": "light", "Gold": "warning", "Platinum": "dark"}
#: The form's fields, as crm.create_customer and update_customer name them.
FORM_FIELDS = ("name", "phone", "email", "address", "district", "city", "province",
               "postal_code", "type",
               "status", "membership_level", "discount", "birth_date", "gender", "notes",
               "partner_id")
EXPORT_COLUMNS = ("id", "store", "name", "phone", "email", "address", "district", "city",
                  "province",
                  "postal_code", "type", "status", "membership_level", "discount", "points",
                  "total_orders", "total_purchases", "total_spent", "last_visit", "birth_date",
                  "gender", "notes", "partner_id", "is_active", "created_at")
STORE_FILTER = "Toko"
#: The "Dihapus" filter's name in list addresses (named_filter_urls).
DELETED_ARG = "dihapus_tampilkan"


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(choice.value, label) for choice, label in labels.items()]


def _options(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(choice.value, label) for choice, label in labels.items()]


def _text(value) -> str:
    return "" if value is None else str(value)


# Created first, so it comes first in the create form.
_store_field = SelectField("Toko", coerce=int, validate_choice=True)


class CustomerForm(BaseForm):
    """Seed 003's fields; the stats are kept by checkout and are not on the form."""

    name = StringField("Nama", validators=[InputRequired("Wajib diisi.")])
    phone = StringField("Nomor HP / WhatsApp", validators=[InputRequired("Wajib diisi.")])
    email = StringField("Email")
    address = TextAreaField("Alamat")
    district = StringField("Kecamatan")
    city = StringField("Kota")
    province = StringField("Provinsi")
    postal_code = StringField("Kode pos")
    type = SelectField("Tipe", choices=_options(TYPE_LABELS), coerce=_text)
    status = SelectField("Status", choices=_options(STATUS_LABELS), coerce=_text)
    membership_level = SelectField("Level member", coerce=_text,
                                   choices=[SelectChoice(m.value) for m in MembershipLevel])
    discount = StringField("Diskon (%)", description="0 sampai 100; kosong: sesuai level.")
    birth_date = DateField("Tanggal lahir", validators=[Optional()])
    gender = SelectField("Jenis kelamin", coerce=_text,
                         choices=[SelectChoice("", "-"), *_options(GENDER_LABELS)])
    notes = TextAreaField("Catatan")
    partner_id = StringField("Partner ID")


class CustomerCreateForm(CustomerForm):
    store_id = _store_field


class ImportForm(BaseForm):
    store_id = SelectField("Toko", coerce=int, validate_choice=True)
    file = FileField("File CSV (name,phone,email,address)",
                     validators=[InputRequired("Pilih file CSV.")])


class ChoiceFilter(FilterEqual):
    """Equal to one of a closed set (an unknown value is refused, not sent to the database)."""

    def validate(self, value) -> bool:
        return value in {key for key, _ in self.options}


class DeletedFilter(BaseSQLAFilter):
    """Show the soft-deleted customers (hidden from the list otherwise)."""

    def apply(self, query, value, alias=None):
        return query.filter(Customer.is_active.is_(False))

    def operation(self):
        return "tampilkan"


def _badge(value) -> Markup:
    text = value.value if hasattr(value, "value") else _text(value)
    label = {**TYPE_LABELS, **STATUS_LABELS}.get(value, text)
    return Markup('<span class="badge badge-{} badge-status">{}</span>').format(
        BADGES.get(text, "secondary"), label)


def _name_link(view, context, model, name) -> Markup:
    link = Markup('<a href="{}">{}</a>').format(view.get_url(".details_view", id=model.id),
                                                model.name)
    if not model.is_active:
        link += Markup(' <span class="badge badge-danger">dihapus</span>')
    return link


class CustomerView(ScopedModelView):
    """Customers of the admin's stores: list, filters, search, forms, detail, import, export."""

    list_template = "admin/customers/list.html"
    details_template = "admin/customers/details.html"
    edit_template = "admin/customers/edit.html"
    column_list = ("name", "phone", "email", "store", "type", "status", "membership_level",
                   "total_spent", "total_purchases", "last_visit")
    column_labels = {"name": "Nama", "phone": "Nomor HP", "email": "Email", "store": "Toko",
                     "type": "Tipe", "status": "Status", "membership_level": "Level",
                     "total_spent": "Total belanja", "total_purchases": "Pembelian",
                     "last_visit": "Kunjungan terakhir"}
    column_sortable_list = ("name", "total_spent", "total_purchases", "last_visit")
    column_default_sort = ("id", True)
    column_searchable_list = ("name", "phone", "email")  # searched by crm.search_condition
    named_filter_urls = True
    column_filters = (
        ChoiceFilter(Customer.type, "Tipe", options=_choices(TYPE_LABELS)),
        ChoiceFilter(Customer.status, "Status", options=_choices(STATUS_LABELS)),
        ChoiceFilter(Customer.membership_level, "Level",
                     options=[(m.value, m.value) for m in MembershipLevel]),
        IntEqualFilter(Customer.store_id, STORE_FILTER, options=[("0", "-")]),
        DeletedFilter(Customer.is_active, "Dihapus", options=[("1", "ya")]),
    )
    column_formatters = {
        "name": _name_link,
        "phone": lambda v, c, m, n: local_phone(m.phone),
        "type": lambda v, c, m, n: _badge(m.type),
        "status": lambda v, c, m, n: _badge(m.status),
        "membership_level": lambda v, c, m, n: _badge(m.membership_level),
        "total_spent": lambda v, c, m, n: format_rupiah(m.total_spent),
        "last_visit": lambda v, c, m, n: local_datetime(m.last_visit, m.store.timezone),
    }
    form = CustomerForm

    # --- list: soft-deleted rows hidden unless asked for; search by any phone form -----

    def get_one(self, id):
        """None for an id no customer can have (text, too big), as for another store's."""
        text = str(id)
        if not (text.isascii() and text.isdigit() and len(text) <= 10
                and 0 < int(text) <= crm.MAX_ID):
            return None
        return super().get_one(text)

    def get_query(self):
        return self._keep(super().get_query())

    def get_count_query(self):
        return self._keep(super().get_count_query())

    def _keep(self, query):
        """Soft-deleted customers only when the "Dihapus" filter is in the address."""
        asked = any(key.startswith("flt") and key.endswith("_" + DELETED_ARG)
                    for key in request.args)
        return query if asked else query.filter(Customer.is_active.is_(True))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        try:
            text = crm.parse_filters(search=search).search
        except ShopError as error:
            flash(error.message, "error")
            return query.filter(false()), count_query.filter(false()), joins, count_joins
        if not text:
            return query, count_query, joins, count_joins
        condition = crm.search_condition(text)
        return query.filter(condition), count_query.filter(condition), joins, count_joins

    def search_placeholder(self) -> str:
        return "Nama, nomor HP, atau email"

    def _get_filter_groups(self):
        """The store filter offers the admin's own stores only."""
        groups = super()._get_filter_groups()
        if groups and STORE_FILTER in groups:
            options = [(str(s.id), s.name) for s in crm.scope_stores(current_scope())]
            for item in groups[STORE_FILTER]:
                item["options"] = options
        return groups

    # --- forms: through the crm service ------------------------------------------------

    def get_create_form(self):
        return CustomerCreateForm

    def create_form(self, obj=None):
        form = super().create_form(obj)
        _offer_stores(form)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.phone.data = local_phone(obj.phone)
        return form

    def create_model(self, form):
        try:
            store = crm.choose_store(current_scope(), form.store_id.data)
            customer = crm.create_customer(store, _form_values(form), now=clock.now())
            commit()
        except ShopError as error:
            return _refused(form, error)
        return customer

    def update_model(self, form, model) -> bool:
        try:
            result = crm.update_customer(model, _form_values(form),
                                         actor=current_scope().actor, now=clock.now())
            commit()
        except ShopError as error:
            return _refused(form, error)
        if result.orders:
            numbers = ", ".join(order.number for order in result.orders)
            flash(f"Alamat baru juga disalin ke pesanan yang belum dikirim: {numbers}.", "info")
        return True

    def delete_model(self, model) -> bool:
        """Seed 003's soft delete instead of Flask-Admin's DELETE."""
        crm.delete_customer(model, now=clock.now())
        commit()
        return True

    @action("delete", "Hapus (nonaktifkan)", "Nonaktifkan pelanggan yang dipilih?")
    def action_delete(self, ids) -> None:
        """The bulk delete, soft too; ids as integers (PostgreSQL compares no text to them)."""
        wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) <= 10]
        customers = self.get_query().filter(Customer.id.in_(wanted)).all()
        for customer in customers:
            crm.delete_customer(customer, now=clock.now())
        commit()
        flash(f"{len(customers)} pelanggan dinonaktifkan.", "success")

    @action("bulk_message", "Kirim pesan massal")
    def action_bulk_message(self, ids):
        """Carry the selected customers (of the admin's stores) to the bulk message page."""
        wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) <= 10]
        rows = self.get_query().filter(Customer.id.in_(wanted)).with_entities(
            Customer.id, Customer.store_id).all()
        stores = {row.store_id for row in rows}
        return redirect(url_for("bulk.compose", customer=sorted(row.id for row in rows),
                                store_id=stores.pop() if len(stores) == 1 else None))

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    # --- detail page, restore, import, export ------------------------------------------

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            stats = customer_detail_stats(kwargs["model"], now=clock.now())
            kwargs.update(stats=stats, chart=spending_chart(stats["monthlySpending"]),
                          labels=LABELS, order_url=_order_url)
        return super().render(template, **kwargs)

    @expose("/restore/", methods=("POST",))
    def restore_view(self):
        model = self.get_one(request.form.get("id", ""))
        if model is None:
            flash("Pelanggan tidak ditemukan.", "error")
            return redirect(self.get_url(".index_view"))
        crm.restore_customer(model, now=clock.now())
        commit()
        flash("Pelanggan dipulihkan.", "success")
        return redirect(self.get_url(".details_view", id=model.id))

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        form = _offer_stores(ImportForm(get_form_data()))
        report = None
        if request.method == "POST" and form.validate():
            try:
                store = crm.choose_store(current_scope(), form.store_id.data)
                report = crm.import_customer_file(store, form.file.data.read())
                commit()
            except ShopError as error:
                _refused(form, error)
        return self.render("admin/customers/import.html", form=form, report=report)

    @expose("/export.csv")
    def export_view(self):
        """The list as it is filtered and searched, every page, cells neutralised."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _, customers = self.get_list(0, sort[0] if sort else None, args.sort_desc, args.search,
                                     args.filters, page_size=0)
        rows = ([_export_value(c, name) for name in EXPORT_COLUMNS] for c in customers)
        return csv_download("pelanggan.csv", EXPORT_COLUMNS, rows)


LABELS = {"type": TYPE_LABELS, "status": STATUS_LABELS, "gender": GENDER_LABELS}


def _offer_stores(form):
    """The admin's stores as the form's choices; the only one is chosen when not posted."""
    stores = crm.scope_stores(current_scope())
    form.store_id.choices = [SelectChoice(s.id, s.name) for s in stores]
    if form.store_id.data is None and len(stores) == 1:
        form.store_id.data = stores[0].id
    return form


def _form_values(form) -> dict:
    return {name: form[name].data for name in FORM_FIELDS}


def _refused(form, error: ShopError) -> bool:
    """Roll back, and show the refusal on its fields (or as a message)."""
    db.session.rollback()
    shown = False
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            shown = True
    flash(error.message if not shown else "Periksa kembali isian yang ditandai.", "error")
    return False


def _export_value(customer: Customer, name: str):
    if name == "store":
        return customer.store.slug
    value = getattr(customer, name)
    if isinstance(value, Decimal):
        return money_json(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value


def _order_url(order_id: str) -> str | None:
    """The order's page in the back office, when the orders area offers one."""
    from flask import url_for

    try:
        return url_for("order.details_view", id=order_id)
    except BuildError:
        return None


def spending_chart(months: list[dict], *, width: int = 720, height: int = 220) -> dict:
    """Bars of a server-drawn SVG chart of monthly spending (labels escaped by the template)."""
    top = max((m["totalSpent"] for m in months), default=0)
    pad, base = 8, height - 28
    step = (width - 2 * pad) / max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        year, number = month["month"].split("-")
        size = float(month["totalSpent"] / top) * (base - 24) if top else 0.0
        bars.append({
            "x": round(pad + index * step + 4, 1), "w": round(step - 8, 1),
            "y": round(base - size, 1), "h": round(size, 1),
            "label": MONTHS_ID[int(number) - 1], "middle": round(pad + (index + .5) * step, 1),
            "title": f"{MONTHS_ID[int(number) - 1]} {year}: {format_rupiah(month['totalSpent'])}"
                     f" ({month['transactionCount']} pesanan)",
        })
    return {"width": width, "height": height, "base": base, "bars": bars, "top": top}


def register(admin: Admin) -> None:
    """Add this area's views to the back office."""
    admin.add_view(CustomerView(Customer, name="Pelanggan", endpoint="customer",
                                url="/admin/customer"))
