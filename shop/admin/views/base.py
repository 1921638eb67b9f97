"""The secured base views every back-office page builds on: login required, store scope."""

from __future__ import annotations

from flask import Response, abort, g, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.filters import convert
from flask_admin.model.form import converts
from flask_login import current_user
from sqlalchemy import Integer
from wtforms import fields

from ...extensions import db
from ...services.access import Scope, scope_of
from ...services.csv_export import neutralise, write_csv


def current_scope() -> Scope:
    """The signed-in admin's scope, computed once per request."""
    if "admin_scope" not in g:
        g.admin_scope = scope_of(current_user)
    return g.admin_scope


class SecureMixin:
    """Only signed-in admins; `super_admin_only` views only for super admins."""

    super_admin_only = False

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return not self.super_admin_only or current_user.is_super_admin()

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
        return abort(403)


class ShopFilterConverter(sqla_filters.FilterConverter):
    """Flask-Admin's filters for the shop's column types: enums as choices, money as
    numbers, UTC timestamps as dates."""

    @convert("strenumtype")
    def conv_str_enum(self, column, name, options=None, **kwargs):
        options = options or [(e.value, e.value) for e in column.type.enum_class]
        return [f(column, name, options, **kwargs) for f in (
            sqla_filters.FilterEqual, sqla_filters.FilterNotEqual, sqla_filters.FilterInList)]

    @convert("money")
    def conv_money(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in self.float_filters]

    @convert("utcdatetime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in self.datetime_filters]


class ShopModelConverter(AdminModelConverter):
    """Form fields for the shop's column types (enums as selects, money as decimals)."""

    @converts("StrEnumType")
    def conv_str_enum(self, column, field_args, **extra):
        enum_class = column.type.enum_class
        field_args["choices"] = [(e.value, e.value) for e in enum_class]
        if column.nullable:
            field_args["choices"].insert(0, ("", "—"))
        field_args["coerce"] = lambda v: enum_class(v) if v else None
        field_args["validators"] = [v for v in field_args.get("validators", [])
                                    if type(v).__name__ != "Length"]
        return fields.SelectField(**field_args)

    @converts("Money")
    def conv_money(self, column, field_args, **extra):
        field_args.setdefault("places", 2)
        return fields.DecimalField(**field_args)

    @converts("UTCDateTime")
    def conv_utc_datetime(self, column, field_args, **extra):
        return self.convert_datetime(field_args=field_args, **extra)


def csv_download(filename: str, header, rows) -> Response:
    """A CSV attachment whose cells cannot run as spreadsheet formulas."""
    return Response(write_csv(header, rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


class SecureIndexView(SecureMixin, AdminIndexView):
    """The admin's home page (the dashboard)."""


class SecureView(SecureMixin, BaseView):
    """A custom back-office page."""


class ScopedModelView(SecureMixin, ModelView):
    """A model list whose rows belong to stores: an admin sees only its stores' rows, in
    lists, counts, detail pages, edits, deletes, exports and actions alike."""

    #: The column holding the row's store (a subclass may use a join, see `scope_filter`).
    store_column_name = "store_id"
    filter_converter = ShopFilterConverter()
    model_form_converter = ShopModelConverter
    can_view_details = True
    page_size = 20
    can_set_page_size = True

    def __init__(self, model, **kwargs):
        super().__init__(model, db, **kwargs)

    def scope_filter(self):
        """The WHERE clause for the admin's stores."""
        return current_scope().where(getattr(self.model, self.store_column_name))

    def get_query(self):
        return super().get_query().filter(self.scope_filter())

    def get_count_query(self):
        return super().get_count_query().filter(self.scope_filter())

    def primary_key(self, raw):
        """A posted id as the primary key's type, or None when it cannot be one (a text id
        for an integer key is refused here, not sent to PostgreSQL as a type error)."""
        text = str(raw or "")
        column = self.model.__mapper__.primary_key[0]
        if isinstance(column.type, Integer):
            ok = text.isascii() and text.isdigit() and len(text) <= 18
            return int(text) if ok else None
        return text if text.isprintable() and 0 < len(text) <= 64 else None

    def get_one(self, id):
        key = self.primary_key(id)
        row = super().get_one(str(key)) if key is not None else None
        if row is None or not current_scope().allows(self.store_of(row)):
            return None
        return row

    @action("delete", lazy_gettext("Delete"),
            lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Flask-Admin's bulk delete, with the posted ids in the key's type."""
        keys = [k for k in (self.primary_key(i) for i in ids) if k is not None]
        return super().action_delete(keys)

    def store_of(self, row) -> int | None:
        """The store a row belongs to."""
        return getattr(row, self.store_column_name)

    def get_export_value(self, model, name):
        """Flask-Admin's own CSV export, with cells neutralised like every other export."""
        return neutralise(super().get_export_value(model, name))
