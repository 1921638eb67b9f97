"""Form fields of the catalog and store pages that work without JavaScript: a table of rows
(key/value attributes, bank accounts, e-wallets) and a list of lines (couriers, numbers);
and list search and filters that never send a NUL to the database."""

from __future__ import annotations

from itertools import zip_longest

from flask import flash
from flask_admin.contrib.sqla.filters import FilterLike
from markupsafe import Markup
from sqlalchemy import false
from wtforms import Field, TextAreaField
from wtforms.utils import unset_value

from ...extensions import db
from ...models import Store
from ...services.validation import is_clean_text
from ...web import local_datetime


class RowsWidget:
    """A table with one text input per column and row, and a few blank rows to add more."""

    def __call__(self, field: RowsField, **kwargs) -> Markup:
        head = Markup("").join(Markup("<th>{}</th>").format(label)
                               for _, label in field.columns)
        rows = [*field.rows(), *([("",) * len(field.columns)] * field.blank_rows)]
        body = Markup("").join(self._row(field, row, n) for n, row in enumerate(rows))
        return Markup(
            '<input type="hidden" name="{0}-present" value="1">'
            '<table class="table table-sm table-borderless rows-field mb-0" id="{0}">'
            "<thead><tr>{1}</tr></thead><tbody>{2}</tbody></table>"
            '<small class="form-text text-muted">{3}</small>'
        ).format(field.name, head, body, field.hint)

    @staticmethod
    def _row(field: RowsField, row, n: int) -> Markup:
        cells = Markup("").join(
            Markup('<td><input class="form-control form-control-sm" type="text" name="{}-{}" '
                   'value="{}" aria-label="{} {}"></td>').format(
                field.name, key, value or "", label, n + 1)
            for (key, label), value in zip(field.columns, row, strict=False))
        return Markup("<tr>{}</tr>").format(cells)


class RowsField(Field):
    """Rows of texts posted as `<name>-<column>` lists; `data` is a list of tuples (blank
    rows dropped), filled from a dict (two columns) or a list of dicts of the object."""

    widget = RowsWidget()

    def __init__(self, label=None, validators=None, *, columns, blank_rows: int = 3,
                 hint: str = "Kosongkan satu baris untuk menghapusnya.", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.columns = tuple(columns)
        self.blank_rows = blank_rows
        self.hint = hint

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = self._from_object(data)
        if formdata is not None and f"{self.name}-present" in formdata:
            lists = [formdata.getlist(f"{self.name}-{key}") for key, _ in self.columns]
            rows = (tuple(v.strip() if isinstance(v, str) else "" for v in row)
                    for row in zip_longest(*lists, fillvalue=""))
            self.data = [row for row in rows if any(row)]

    def _from_object(self, data) -> list[tuple]:
        if isinstance(data, dict):
            return [(str(k), "" if v is None else str(v)) for k, v in data.items()]
        if isinstance(data, list):
            keys = [key for key, _ in self.columns]
            return [tuple(str(item.get(k) or "") for k in keys) for item in data
                    if isinstance(item, dict)]
        return []

    def rows(self) -> list[tuple]:
        return list(self.data or [])

    def as_pairs(self) -> list[tuple]:
        """(key, value) pairs, for a two-column field."""
        return [tuple(row) for row in self.rows()]

    def as_dicts(self) -> list[dict]:
        """One dict per row, keyed by column."""
        keys = [key for key, _ in self.columns]
        return [dict(zip(keys, row, strict=False)) for row in self.rows()]

    def populate_obj(self, obj, name):  # the views save through services, never this way
        raise NotImplementedError


class LinesField(TextAreaField):
    """One item per line (couriers, phone numbers); `data` is the list of non-blank lines."""

    def _value(self) -> str:
        if isinstance(self.data, list | tuple):
            return "\n".join(str(item) for item in self.data)
        return self.data or ""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [line.strip() for line in str(valuelist[0]).splitlines()
                         if line.strip()]

    def process_data(self, value):
        self.data = list(value) if isinstance(value, list | tuple) else []


# --- list inputs PostgreSQL cannot take (NUL, lone surrogates) -----------------------------


class CleanFilterLike(FilterLike):
    """A "contains" filter that ignores text with control characters (PostgreSQL refuses a
    NUL with a DataError, that is a 500)."""

    def validate(self, value) -> bool:
        return isinstance(value, str) and is_clean_text(value) and len(value) <= 200


class CleanSearchMixin:
    """Flask-Admin's search, refusing (with a message, no rows) a text with control
    characters instead of sending it to the database."""

    def _apply_search(self, query, count_query, joins, count_joins, search):
        if not is_clean_text(search) or len(search) > 200:
            flash("Pencarian berisi karakter yang tidak diizinkan.", "error")
            none = false()
            count_query = count_query.filter(none) if count_query is not None else None
            return query.filter(none), count_query, joins, count_joins
        return super()._apply_search(query, count_query, joins, count_joins, search)


# --- detail page values ---------------------------------------------------------------------


def yes_no(view, context, model, name) -> str:
    """A flag as words (the list keeps Flask-Admin's icons)."""
    return "Ya" if getattr(model, name) else "Tidak"


def store_time(view, context, model, name) -> str:
    """A timestamp in the row's store's time zone (Asia/Jakarta for rows without a store)."""
    store_id = getattr(model, "store_id", None)
    store = db.session.get(Store, store_id) if store_id is not None else None
    return local_datetime(getattr(model, name), store.timezone if store else "Asia/Jakarta")


DETAIL_FORMATTERS = {"is_active": yes_no, "created_at": store_time, "updated_at": store_time}
