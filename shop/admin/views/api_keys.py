"""Back-office page of the bot tools API's keys (issue 13, item 3): an admin lists, makes and
revokes the keys of its stores (a super admin of every store). A new key is shown once, on
the page that answers its creation (never in a URL, a flash or the session)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, expose
from sqlalchemy import select

from ...errors import ShopError
from ...extensions import db
from ...models import ApiKey
from ...services import api_keys, crm
from ...unit_of_work import commit
from .base import SecureView, current_scope


class ApiKeyView(SecureView):
    """/admin/api-keys/: the keys of the admin's stores, a form for a new one, revoke."""

    @expose("/")
    def index(self):
        return self._page()

    @expose("/new/", methods=("POST",))
    def create(self):
        scope = current_scope()
        values = {"store_id": request.form.get("store_id", ""),
                  "name": request.form.get("name", "")}
        try:
            store = crm.choose_store(scope, values["store_id"])
            row, key = api_keys.create_api_key(store, name=values["name"], actor=scope.actor)
            commit()
        except ShopError as error:
            db.session.rollback()
            return self._page(error=error, values=values), 422
        return self._page(new_key=key, new_row=row), 201

    @expose("/<int:key_id>/revoke/", methods=("POST",))
    def revoke(self, key_id: int):
        row = db.session.get(ApiKey, key_id)
        if row is None or not current_scope().allows(row.store_id):
            abort(404)
        if api_keys.revoke_api_key(row, actor=current_scope().actor):
            commit()
            flash(f"Kunci {row.prefix}… dicabut.", "success")
        return redirect(url_for(".index"))

    def _page(self, *, new_key: str | None = None, new_row: ApiKey | None = None,
              error: ShopError | None = None, values: dict | None = None):
        scope = current_scope()
        stores = crm.scope_stores(scope)
        by_id = {store.id: store for store in stores}
        keys = list(db.session.scalars(
            select(ApiKey).where(scope.where(ApiKey.store_id))
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))
        return self.render("admin/api_keys/index.html", keys=keys, stores=stores,
                           stores_by_id=by_id, new_key=new_key, new_row=new_row, error=error,
                           values=values or {})


def register(admin: Admin) -> None:
    """Add the page to the back office."""
    admin.add_view(ApiKeyView(name="Kunci API Bot", endpoint="api_keys", url="/admin/api-keys"))
