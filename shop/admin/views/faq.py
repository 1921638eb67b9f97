"""Back-office view of the support chat's FAQ (issue 13, item 5): the questions and answers of
the admin's stores (a super admin's: every store's), listed, searched, filtered by store,
written and removed; the chat's model is given the active ones in their order. Every change
goes through shop.services.faq."""

from __future__ import annotations

from flask import abort
from flask_admin import Admin
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, IntEqualFilter
from flask_admin.form import BaseForm
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from ...errors import ShopError
from ...models import FaqEntry
from ...services import crm, faq
from ...unit_of_work import commit
from .base import ScopedModelView, current_scope
from .form_fields import DETAIL_FORMATTERS, CleanSearchMixin
from .saving import offer_stores, refused, store_names

STORE_FILTER = "Toko"
FORM_FIELDS = ("question", "answer", "position", "is_active")

# Created first, so it comes first in the create form.
_store_field = SelectField("Toko", coerce=int, validate_choice=True)


class FaqForm(BaseForm):
    """An entry's own fields; its store is chosen when it is made and never changes."""

    question = StringField("Pertanyaan", description="3 sampai 300 huruf, satu baris.")
    answer = TextAreaField("Jawaban", description="Sampai 2.000 huruf.",
                           render_kw={"rows": 6})
    position = StringField("Urutan", default="0",
                           description="0 sampai 9.999; yang kecil lebih dulu.")
    is_active = BooleanField("Aktif (dipakai chat bantuan)", default=True)


class FaqCreateForm(FaqForm):
    store_id = _store_field


def _store_name(view, context, model, name) -> str:
    return store_names().get(model.store_id, "")


def _short(view, context, model, name) -> str:
    text = getattr(model, name) or ""
    return text if len(text) <= 120 else text[:119] + "…"


class FaqView(CleanSearchMixin, ScopedModelView):
    """FAQ entries of the admin's stores, by store and position."""

    column_list = ("store_id", "position", "question", "is_active")
    column_details_list = ("store_id", "position", "question", "answer", "is_active",
                           "updated_at")
    column_labels = {"store_id": "Toko", "position": "Urutan", "question": "Pertanyaan",
                     "answer": "Jawaban", "is_active": "Aktif", "updated_at": "Diubah"}
    column_sortable_list = ("position", "question", "is_active")
    column_default_sort = [("store_id", False), ("position", False), ("id", False)]
    column_searchable_list = ("question", "answer")
    named_filter_urls = True
    column_filters = (
        IntEqualFilter(FaqEntry.store_id, STORE_FILTER, options=[("0", "-")]),
        BooleanEqualFilter(FaqEntry.is_active, "Aktif"),
    )
    column_formatters = {"store_id": _store_name, "question": _short}
    column_formatters_detail = {"store_id": _store_name, **DETAIL_FORMATTERS}
    form = FaqForm

    def search_placeholder(self) -> str:
        return "Pertanyaan atau jawaban"

    def get_one(self, id):
        """The admin's entry; another store's (or a missing or malformed id) is 404."""
        entry = super().get_one(id)
        if entry is None:
            abort(404)
        return entry

    def _get_filter_groups(self):
        """The store filter offers the admin's own stores only."""
        groups = super()._get_filter_groups()
        if groups and STORE_FILTER in groups:
            for item in groups[STORE_FILTER]:
                item["options"] = [(str(i), n) for i, n in store_names().items()]
        return groups

    def get_create_form(self):
        return FaqCreateForm

    def create_form(self, obj=None):
        return offer_stores(super().create_form(obj))

    def create_model(self, form):
        try:
            store = crm.choose_store(current_scope(), form.store_id.data)
            entry = faq.create_faq_entry(store, _values(form))
            commit()
        except ShopError as error:
            return refused(form, error)
        return entry

    def update_model(self, form, model) -> bool:
        try:
            faq.update_faq_entry(model, _values(form))
            commit()
        except ShopError as error:
            return refused(form, error)
        return True

    def delete_model(self, model) -> bool:
        faq.delete_faq_entry(model)
        commit()
        return True

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)


def _values(form) -> dict:
    return {name: form[name].data for name in FORM_FIELDS}


def register(admin: Admin) -> None:
    """Add the page to the back office."""
    admin.add_view(FaqView(FaqEntry, name=_l("FAQ Chat Bantuan"), endpoint="faq",
                           url="/admin/faq"))
