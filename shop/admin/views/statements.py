"""Back-office pages of bank statement matching (issue 15, item 4): "Mutasi Bank" under
"Pembayaran": upload a mutation export, review the proposed matches, confirm them all in one
step, pick the order of an ambiguous line. Every change goes through shop.services.statements.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import lazy_gettext as _l

from ...errors import ShopError
from ...extensions import db
from ...models import Store
from ...services import crm, statements
from ...services.statement_files import MAX_BYTES, PRESETS
from ...template_i18n import gettext as _
from ...unit_of_work import commit
from .base import SecureView, current_scope


class StatementView(SecureView):
    """Mutasi Bank: past imports and the upload form; one import's review."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        """GET: the upload form and past imports; POST: read, match and keep a file."""
        scope = current_scope()
        stores = crm.scope_stores(scope)
        if request.method == "POST":
            try:
                return self._upload(scope)
            except ShopError as error:
                db.session.rollback()
                flash(error.message, "error")
        chosen = _chosen_store(stores)
        mapping = (chosen.statement_mapping if chosen else None) or {"preset": "bca"}
        mapping = {**mapping, **{k: v for k, v in request.form.items() if k != "csrf_token"}}
        return self.render("admin/statements/index.html", stores=stores, chosen=chosen,
                           mapping=mapping, presets=PRESETS,
                           imports=statements.list_statements(scope))

    def _upload(self, scope):
        store = crm.choose_store(scope, request.form.get("store_id"))
        upload = request.files.get("file")
        data = upload.stream.read(MAX_BYTES + 1) if upload else b""
        statement = statements.import_statement(
            store, data, request.form.to_dict(), filename=upload.filename if upload else "",
            actor=scope.actor)
        commit()
        return redirect(url_for(".review", statement_id=statement.id))

    @expose("/<int:statement_id>/")
    def review(self, statement_id: int):
        """The import's proposed, ambiguous, unmatched and duplicate lines."""
        statement = self._statement(statement_id)
        return self.render("admin/statements/review.html", statement=statement,
                           store=db.session.get(Store, statement.store_id),
                           **statements.review_of(statement))

    @expose("/<int:statement_id>/confirm", methods=("POST",))
    def confirm(self, statement_id: int):
        """Confirm every proposed match: the orders become PAID."""
        statement = self._statement(statement_id)
        counts = statements.confirm_statement(statement, actor=current_scope().actor)
        commit()
        flash(_("%(n)s pesanan ditandai lunas.", n=counts["paid"]), "success")
        if counts["skipped"]:
            flash(_("%(n)s baris dilewati: pesanannya sudah dibayar atau berubah.",
                    n=counts["skipped"]), "warning")
        return redirect(url_for(".review", statement_id=statement.id))

    @expose("/<int:statement_id>/pick", methods=("POST",))
    def pick(self, statement_id: int):
        """Confirm one ambiguous line with the order the owner chose."""
        statement = self._statement(statement_id)
        try:
            status = statements.confirm_line(statement, request.form.get("line_id"),
                                             request.form.get("order_id"),
                                             actor=current_scope().actor)
        except ShopError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            commit()
            if status == statements.LineStatus.CONFIRMED:
                flash(_("1 pesanan ditandai lunas."), "success")
            else:
                flash(_("Baris dilewati: pesanannya sudah dibayar atau berubah."), "warning")
        return redirect(url_for(".review", statement_id=statement.id))

    def _statement(self, statement_id: int):
        try:
            return statements.get_statement(current_scope(), statement_id)
        except ShopError:
            abort(404)


def _chosen_store(stores: list[Store]) -> Store | None:
    wanted = request.values.get("store_id", "")
    return next((s for s in stores if str(s.id) == wanted), stores[0] if stores else None)


def register(admin: Admin) -> None:
    """Mutasi Bank, under "Pembayaran"."""
    admin.add_view(StatementView(name=_l("Mutasi Bank"), category="Pembayaran",
                                 endpoint="statements", url="/admin/statements"))
