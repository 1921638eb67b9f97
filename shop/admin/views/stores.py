"""Back-office views: store settings (super admins only). Slug, contact numbers, logo, the
bank accounts and e-wallets of the payment instructions, the unique transfer code, the
store's QRIS, couriers, time zone and the admins' alert numbers; saved through
shop.services.stores_admin."""

from __future__ import annotations

from flask import request
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from markupsafe import Markup
from wtforms import BooleanField, FileField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ...errors import ShopError
from ...extensions import db
from ...models import Store
from ...services import stores_admin
from ...services.phones import local_phone
from ...services.qris import qr_svg, read_static
from ...services.shipping_fees import courier_choices
from ...services.uploads import delete_image, save_image
from ...unit_of_work import commit
from ...uploads import upload_url
from .base import SecureMixin
from .form_fields import DETAIL_FORMATTERS, CleanSearchMixin, LinesField, RowsField
from .saving import digits_id, refused

LOGO_SIZE = 512
#: Indonesia's zones first, then every other IANA zone.
LOCAL_ZONES = (("Asia/Jakarta", "Asia/Jakarta (WIB)"), ("Asia/Makassar", "Asia/Makassar (WITA)"),
               ("Asia/Jayapura", "Asia/Jayapura (WIT)"))
FORM_FIELDS = ("slug", "name", "whatsapp", "address", "timezone", "couriers", "admin_whatsapp",
               "is_active", "unique_code_enabled", "qris_payload")


def _zone_choices():
    local = {zone for zone, _ in LOCAL_ZONES}
    return [*LOCAL_ZONES, *((z, z) for z in sorted(stores_admin.time_zones() - local))]


class StoreForm(BaseForm):
    slug = StringField("Slug (alamat toko)", validators=[InputRequired("Wajib diisi.")],
                       description="Huruf kecil, angka dan '-'; alamat toko: /burger-china")
    name = StringField("Nama toko", validators=[InputRequired("Wajib diisi.")])
    whatsapp = StringField("Nomor WhatsApp toko", validators=[InputRequired("Wajib diisi.")],
                           description="Mis. 081234567890")
    address = TextAreaField("Alamat")
    logo_file = FileField("Logo", description="JPEG, PNG atau WebP, maksimal 5 MB.")
    remove_logo = BooleanField("Hapus logo")
    timezone = SelectField("Zona waktu", choices=_zone_choices, validate_choice=False,
                           default="Asia/Jakarta")
    bank_accounts = RowsField("Rekening bank (instruksi transfer)", blank_rows=2, columns=(
        ("bank", "Bank"), ("number", "Nomor rekening"), ("holder", "Atas nama")))
    e_wallets = RowsField("E-wallet", blank_rows=2, columns=(
        ("provider", "Penyedia (GoPay, OVO, ...)"), ("number", "Nomor"),
        ("holder", "Atas nama")))
    couriers = LinesField("Kurir yang ditawarkan", description="Satu kurir per baris; "
                          "kosong: pembeli menulis sendiri.")
    shipping_rates = RowsField(
        "Ongkos kirim per kurir", blank_rows=2,
        hint="Kurir tanpa ongkos di sini: 'ongkir dikonfirmasi admin' (Anda isi ongkosnya di "
             "pesanan, pelanggan dikabari). Ongkos 0: gratis ongkir.",
        columns=(("courier", "Kurir (dari daftar di atas)"), ("fee", "Ongkos (Rp)"),
                 ("free_from", "Gratis mulai belanja (Rp, opsional)")))
    unique_code_enabled = BooleanField(
        "Kode unik transfer", description="Transfer bank mendapat kode unik 1-999 di "
        "jumlahnya (Rp 65.123), agar setiap pembayaran dikenali di mutasi rekening.")
    qris_payload = TextAreaField(
        "QRIS statis toko", render_kw={"rows": 3, "spellcheck": "false"},
        description="Tempel isi QRIS yang tercetak di toko (teks yang dimulai 000201; "
                    "pindai QRIS dengan aplikasi pembaca QR). Setiap pesanan QRIS mendapat "
                    "QRIS dengan nominalnya. Kosongkan untuk berhenti menerima QRIS.")
    admin_whatsapp = LinesField("Nomor WhatsApp admin (notifikasi pesanan baru)",
                                description="Satu nomor per baris.")
    is_active = BooleanField("Aktif", default=True)


def _logo(view, context, model, name) -> Markup:
    if not model.logo:
        return Markup("")
    return Markup('<img src="{}" alt="" width="40" height="40" style="object-fit:contain">'
                  ).format(upload_url(model.logo))


def _accounts(view, context, model, name) -> Markup:
    rows = getattr(model, name) or []
    keys = ("provider" if name == "e_wallets" else "bank", "number", "holder")
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(
            Markup("<td>{}</td>").format(row.get(k, "")) for k in keys)) for row in rows)
    return Markup('<table class="table table-sm mb-0">{}</table>').format(body) if rows \
        else Markup("-")


def _rates(view, context, model, name) -> str:
    labels = dict(courier_choices(model))
    return "; ".join(labels[c] for c in model.couriers or () if c in labels) or "-"


def _qris(view, context, model, name) -> Markup:
    """The store's QRIS read back for the owner to confirm: merchant, city, NMID, and the
    code as shoppers will scan it (without an amount)."""
    if not model.qris_payload:
        return Markup("-")
    try:
        shown = read_static(model.qris_payload)
    except ShopError as error:
        return Markup('<span class="text-danger">{}</span>').format(error.message)
    facts = Markup("{} · {} · NMID {}{}").format(
        shown.merchant_name, shown.merchant_city, shown.nmid or "-",
        f" · {shown.acquirer}" if shown.acquirer else "")
    return Markup('<div id="qris-merchant">{}</div><div class="qris-preview" '
                  'style="max-width:160px">{}</div>').format(
        facts, Markup(qr_svg(shown.payload)))  # noqa: S704 - qr_svg's SVG of a checked payload


def _lines(view, context, model, name) -> str:
    items = getattr(model, name) or []
    if name == "admin_whatsapp":
        items = [local_phone(n) for n in items]
    return ", ".join(items) or "-"


class StoreView(SecureMixin, CleanSearchMixin, ModelView):
    """Every store's settings; only super admins reach these pages."""

    super_admin_only = True
    can_delete = False  # stores hold orders; a store is closed with "Aktif" off
    can_export = False
    can_view_details = True
    edit_template = "admin/stores/edit.html"
    column_list = ("logo", "slug", "name", "whatsapp", "timezone", "is_active")
    column_details_list = ("slug", "name", "whatsapp", "address", "logo", "timezone",
                           "bank_accounts", "e_wallets", "unique_code_enabled",
                           "qris_payload", "couriers", "shipping_rates",
                           "admin_whatsapp", "is_active", "created_at", "updated_at")
    column_labels = {"logo": "Logo", "slug": "Slug", "name": "Nama", "whatsapp": "WhatsApp",
                     "timezone": "Zona waktu", "is_active": "Aktif", "address": "Alamat",
                     "bank_accounts": "Rekening bank", "e_wallets": "E-wallet",
                     "couriers": "Kurir", "admin_whatsapp": "WhatsApp admin",
                     "shipping_rates": "Ongkos kirim",
                     "unique_code_enabled": "Kode unik transfer", "qris_payload": "QRIS",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_searchable_list = ("slug", "name")
    column_default_sort = "id"
    column_formatters = {
        "logo": _logo, "whatsapp": lambda v, c, m, n: local_phone(m.whatsapp),
        "bank_accounts": _accounts, "e_wallets": _accounts, "couriers": _lines,
        "admin_whatsapp": _lines, "shipping_rates": _rates, "qris_payload": _qris,
    }
    column_formatters_detail = {**column_formatters, **DETAIL_FORMATTERS}
    form = StoreForm

    def __init__(self, **kwargs):
        super().__init__(Store, db, **kwargs)

    def get_one(self, id):
        return super().get_one(digits_id(id)) if digits_id(id) else None

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.whatsapp.data = local_phone(obj.whatsapp)
            form.admin_whatsapp.data = [local_phone(n) for n in obj.admin_whatsapp or []]
        return form

    def create_model(self, form):
        return self._save(form, None)

    def update_model(self, form, model) -> bool:
        return bool(self._save(form, model))

    def _save(self, form, store: Store | None):
        """Store the new logo (if any), save the settings, commit; the replaced logo's file
        goes once the change is committed, the new one if it is refused."""
        old_logo, stored = (store.logo if store else None), None
        values = {name: form[name].data for name in FORM_FIELDS}
        values["bank_accounts"] = form.bank_accounts.as_dicts()
        values["e_wallets"] = form.e_wallets.as_dicts()
        values["shipping_rates"] = form.shipping_rates.as_dicts()
        try:
            upload = form.logo_file.data
            if upload is not None and getattr(upload, "filename", ""):
                stored = save_image(upload, width=LOGO_SIZE, field="logo_file")
                values["logo"] = stored.filename
            elif form.remove_logo.data:
                values["logo"] = None
            store = stores_admin.save_store(store, values)
            commit()
        except ShopError as error:
            if stored is not None:
                delete_image(stored.filename)
            return refused(form, error)
        if old_logo and old_logo != store.logo:
            delete_image(old_logo)
        return store

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    def render(self, template, **kwargs):
        kwargs.setdefault("upload_url", upload_url)
        return super().render(template, **kwargs)


def register(admin: Admin) -> None:
    """Add this area's views to the back office."""
    admin.add_view(StoreView(name="Toko", endpoint="stores"))
