"""Back-office views: the catalog. Products of the admin's stores with their attributes,
photos and stock; stock changes only through the "Ubah stok" form (a reason is required and
recorded); CSV import and export. Every change goes through shop.services.catalog."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import Admin, expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, BooleanEqualFilter, IntEqualFilter
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, FileField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ...errors import NotFound, ShopError
from ...extensions import db
from ...models import Product, Store
from ...services import catalog, catalog_csv, crm
from ...services.money import format_rupiah
from ...services.uploads import delete_image
from ...unit_of_work import commit
from ...uploads import upload_url
from .b2b import PartsSyncMixin
from .base import ScopedModelView, csv_download, current_scope
from .form_fields import DETAIL_FORMATTERS, CleanFilterLike, CleanSearchMixin, RowsField
from .saving import offer_stores, refused, run, store_names

STORE_FILTER = "Toko"
FORM_FIELDS = ("code", "name", "description", "category", "price", "is_active",
               "low_stock_threshold")

# Created first, so it comes first in the create form.
_store_field = SelectField("Toko", coerce=int, validate_choice=True)


class ProductForm(BaseForm):
    """The product's own fields; stock is changed on the product's page, with a reason."""

    code = StringField("Kode / SKU", validators=[InputRequired("Wajib diisi.")])
    name = StringField("Nama produk", validators=[InputRequired("Wajib diisi.")])
    description = TextAreaField("Deskripsi")
    category = StringField("Kategori")
    price = StringField("Harga (Rp)", validators=[InputRequired("Wajib diisi.")],
                        description="Mis. 65000 atau 65.000")
    is_active = BooleanField("Aktif (tampil di toko)", default=True)
    attributes = RowsField("Atribut", columns=(("key", "Nama"), ("value", "Nilai")),
                           hint="Mis. RAM = 1GB. Kosongkan satu baris untuk menghapusnya.")
    low_stock_threshold = StringField("Batas stok menipis", default="5")


class ProductCreateForm(ProductForm):
    store_id = _store_field
    initial_stock = StringField("Stok awal", description="Kosong: stok tidak dilacak "
                                "(tak terbatas, mis. dibuat sesuai pesanan).")


class ImportForm(BaseForm):
    store_id = SelectField("Toko", coerce=int, validate_choice=True)
    file = FileField("File CSV", validators=[InputRequired("Pilih file CSV.")])


class LowStockFilter(BaseSQLAFilter):
    """Products that track stock and have no more than their threshold left."""

    def apply(self, query, value, alias=None):
        return query.filter(catalog.low_stock_condition())

    def operation(self):
        return "ya"


def _thumb(view, context, model, name) -> Markup:
    if not model.photos:
        return Markup('<span class="text-muted small">-</span>')
    return Markup('<img src="{}" alt="" width="48" height="48" loading="lazy" '
                  'style="object-fit:cover" class="rounded">').format(
        upload_url(model.photos[0].filename))


def _stock(view, context, model, name) -> Markup:
    if model.stock is None:
        return Markup('<span class="text-muted">tidak dilacak</span>')
    badge = ("danger", "habis") if model.stock <= 0 else (
        ("warning", "menipis") if model.stock <= model.low_stock_threshold else None)
    shown = Markup("{}").format(model.stock)
    if badge:
        shown += Markup(' <span class="badge badge-{}">{}</span>').format(*badge)
    return shown


def _attributes(view, context, model, name) -> Markup:
    rows = Markup("").join(Markup("<tr><th>{}</th><td>{}</td></tr>").format(k, v)
                           for k, v in (model.attributes or {}).items())
    return Markup('<table class="table table-sm mb-0 attributes">{}</table>').format(rows) \
        if rows else Markup("-")


def _store_name(view, context, model, name) -> str:
    return store_names().get(model.store_id, "")


class ProductView(PartsSyncMixin, CleanSearchMixin, ScopedModelView):
    """Products of the admin's stores: list, low-stock filter, forms, photos, stock; parts
    synced from the legacy ERP (shop/admin/views/b2b.py)."""

    list_template = "admin/catalog/list.html"
    details_template = "admin/catalog/details.html"
    edit_template = "admin/catalog/edit.html"
    can_export = False  # the neutralised, scoped export is export_view
    column_list = ("photos", "code", "name", "category", "price", "stock", "is_active",
                   "store_id")
    column_details_list = ("code", "name", "description", "category", "price", "stock",
                           "low_stock_threshold", "is_active", "attributes", "store_id",
                           "created_at", "updated_at")
    column_labels = {"photos": "Foto", "code": "Kode", "name": "Nama", "category": "Kategori",
                     "price": "Harga", "stock": "Stok", "is_active": "Aktif",
                     "store_id": "Toko", "description": "Deskripsi", "attributes": "Atribut",
                     "low_stock_threshold": "Batas stok menipis", "created_at": "Dibuat",
                     "updated_at": "Diubah"}
    column_sortable_list = ("code", "name", "category", "price", "stock")
    column_default_sort = ("id", True)
    column_searchable_list = ("code", "name", "category")
    named_filter_urls = True
    column_filters = (
        LowStockFilter(Product.stock, "Stok menipis", options=[("1", "ya")]),
        CleanFilterLike(Product.category, "Kategori"),
        BooleanEqualFilter(Product.is_active, "Aktif"),
        IntEqualFilter(Product.store_id, STORE_FILTER, options=[("0", "-")]),
    )
    column_formatters = {
        "photos": _thumb, "price": lambda v, c, m, n: format_rupiah(m.price),
        "stock": _stock, "store_id": _store_name, "attributes": _attributes,
    }
    column_formatters_detail = {**column_formatters, **DETAIL_FORMATTERS}
    form = ProductForm

    def search_placeholder(self) -> str:
        return "Kode, nama atau kategori"

    def get_query(self):
        return super().get_query().options(selectinload(Product.photos))

    def _get_filter_groups(self):
        """The store filter offers the admin's own stores only."""
        groups = super()._get_filter_groups()
        if groups and STORE_FILTER in groups:
            for item in groups[STORE_FILTER]:
                item["options"] = [(str(i), n) for i, n in store_names().items()]
        return groups

    # --- forms: through the catalog service ----------------------------------------------

    def get_create_form(self):
        return ProductCreateForm

    def create_form(self, obj=None):
        return offer_stores(super().create_form(obj))

    def create_model(self, form):
        try:
            store = crm.choose_store(current_scope(), form.store_id.data)
            product = catalog.save_product(store, None, _form_values(form),
                                           actor=current_scope().actor,
                                           initial_stock=form.initial_stock.data)
            commit()
        except ShopError as error:
            return refused(form, error, aliases={"stock": "initial_stock"})
        return product

    def update_model(self, form, model) -> bool:
        try:
            store = db.session.get(Store, model.store_id)
            catalog.save_product(store, model, _form_values(form), actor=current_scope().actor)
            commit()
        except ShopError as error:
            return refused(form, error)
        return True

    def delete_model(self, model) -> bool:
        files = catalog.delete_product(model)
        commit()
        for name in files:
            delete_image(name)
        return True

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template in (self.details_template, self.edit_template) and model is not None:
            kwargs.update(photos=list(model.photos), upload_url=upload_url,
                          movements=catalog.stock_movements(model),
                          timezone=db.session.get(Store, model.store_id).timezone)
        return super().render(template, **kwargs)

    # --- stock and photos: POST forms of the product's page ------------------------------

    def _product_or_404(self, product_id) -> Product:
        product = self.get_one(product_id)
        if product is None:
            abort(404)
        return product

    @expose("/stock/", methods=("POST",))
    def stock_view(self):
        """Set the stock (or stop tracking it) with a reason: one recorded movement."""
        product = self._product_or_404(request.form.get("id"))
        untracked = bool(request.form.get("untracked"))
        new_stock = None if untracked else (request.form.get("stock") or "").strip()
        if new_stock == "":
            flash("Isi stok baru, atau centang 'tidak dilacak'.", "error")
        else:
            run(lambda: catalog.adjust_stock(product, new_stock,
                                             reason=request.form.get("reason"),
                                             actor=current_scope().actor),
                lambda m: f"Stok {product.code}: {_shown(m.stock_before)} → "
                          f"{_shown(m.stock_after)}.")
        return redirect(self.get_url(".details_view", id=product.id))

    @expose("/photos/", methods=("POST",))
    def photos_view(self):
        """Add uploaded photos (JPEG, PNG or WebP, up to 5 MB each) after the others. The
        product and the way back are in the address: a body too big is not read at all."""
        product = self._product_or_404(request.args.get("id"))
        back = request.args.get("back")
        try:
            files = request.files.getlist("photos")
        except RequestEntityTooLarge:
            flash("Unggahan terlalu besar: maksimal 5 MB per foto; unggah sedikit demi "
                  "sedikit.", "error")
        else:
            run(lambda: catalog.add_photos(product, files),
                lambda added: f"{len(added)} foto ditambahkan.")
        return redirect(self._back(product.id, back))

    @expose("/photos/move/", methods=("POST",))
    def photo_move_view(self):
        """Move a photo one place earlier or later (the first is the main photo)."""
        photo = self._photo_or_404(request.form.get("photo_id"))
        offset = -1 if request.form.get("direction") == "up" else 1
        run(lambda: catalog.move_photo(photo, offset), lambda _: "Urutan foto diubah.")
        return redirect(self._back(photo.product_id, request.form.get("back")))

    @expose("/photos/delete/", methods=("POST",))
    def photo_delete_view(self):
        """Remove a photo (its file goes once the change is saved)."""
        photo = self._photo_or_404(request.form.get("photo_id"))
        product_id = photo.product_id
        filename = run(lambda: catalog.remove_photo(photo), lambda _: "Foto dihapus.")
        if filename:
            delete_image(filename)
        return redirect(self._back(product_id, request.form.get("back")))

    def _photo_or_404(self, photo_id):
        try:
            return catalog.get_photo(current_scope(), photo_id)
        except NotFound:
            abort(404)

    def _back(self, product_id, back: str | None) -> str:
        return self.get_url(".edit_view" if back == "edit" else ".details_view", id=product_id)

    # --- CSV ---------------------------------------------------------------------------

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        form = offer_stores(ImportForm(get_form_data()))
        report = None
        if request.method == "POST" and form.validate():
            try:
                store = crm.choose_store(current_scope(), form.store_id.data)
                report = catalog_csv.import_product_file(store, form.file.data.read(),
                                                         actor=current_scope().actor)
                commit()
            except ShopError as error:
                refused(form, error)
        return self.render("admin/catalog/import.html", form=form, report=report,
                           columns=catalog_csv.HEADER)

    @expose("/export.csv")
    def export_view(self):
        """The list as it is filtered and searched, every page, cells neutralised."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _, products = self.get_list(0, sort[0] if sort else None, args.sort_desc, args.search,
                                    args.filters, page_size=0)
        return csv_download("produk.csv", catalog_csv.HEADER, catalog_csv.export_rows(products))


def _shown(stock) -> str:
    return "tidak dilacak" if stock is None else str(stock)


def _form_values(form) -> dict:
    values = {name: form[name].data for name in FORM_FIELDS}
    values["attributes"] = form.attributes.as_pairs()
    return values


def register(admin: Admin) -> None:
    """Add this area's views to the back office."""
    admin.add_view(ProductView(Product, name="Produk", endpoint="products"))
