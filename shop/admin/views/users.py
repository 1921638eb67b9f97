"""Back-office views: the admin accounts (super admins only). List, create (email, name,
role, stores, password), edit role and stores, reset the password, enable or disable (a
disabled account is signed out at once). Password hashes are never shown."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import Admin, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_login import current_user
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired

from ...errors import ShopError
from ...extensions import db
from ...models import AdminRole, AdminUser, Store
from ...services import admin_accounts
from ...unit_of_work import commit
from ...web import local_datetime
from .base import SecureMixin
from .form_fields import CleanSearchMixin, yes_no
from .saving import digits_id, refused, run

ROLE_LABELS = {AdminRole.SUPER_ADMIN: "Super admin (semua toko, pengguna, pengaturan toko)",
               AdminRole.ADMIN: "Admin (hanya toko yang dipilih)"}
LENGTH_HINT = "8 sampai 128 karakter."


# Created first, so it comes first in the create form.
_email_field = StringField("Email", validators=[InputRequired("Wajib diisi.")])


class UserEditForm(BaseForm):
    name = StringField("Nama", validators=[InputRequired("Wajib diisi.")])
    role = SelectField("Peran", coerce=str, validate_choice=False,
                       choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    stores = SelectMultipleField("Toko yang dikelola", coerce=str, validate_choice=False,
                                 description="Untuk peran admin; super admin mengelola semua.")


class UserCreateForm(UserEditForm):
    email = _email_field
    password = PasswordField("Kata sandi", validators=[InputRequired("Wajib diisi.")],
                             description=LENGTH_HINT)


class PasswordForm(BaseForm):
    password = PasswordField("Kata sandi baru", validators=[InputRequired("Wajib diisi.")],
                             description=LENGTH_HINT)


def _store_choices() -> list[tuple[str, str]]:
    return [(str(s.id), f"{s.name} ({s.slug})")
            for s in db.session.scalars(db.select(Store).order_by(Store.name, Store.id))]


class UserView(SecureMixin, CleanSearchMixin, ModelView):
    """Admin accounts; only super admins reach these pages."""

    super_admin_only = True
    can_delete = False  # accounts are disabled, so their history keeps its names
    can_export = False
    can_view_details = True
    details_template = "admin/users/details.html"
    column_list = ("email", "name", "role", "stores", "is_active", "last_login_at")
    column_details_list = ("email", "name", "role", "stores", "is_active", "last_login_at",
                           "created_at", "updated_at")
    column_labels = {"email": "Email", "name": "Nama", "role": "Peran", "stores": "Toko",
                     "is_active": "Aktif", "last_login_at": "Masuk terakhir",
                     "created_at": "Dibuat", "updated_at": "Diubah"}
    column_searchable_list = ("email", "name")
    column_sortable_list = ("email", "name", "last_login_at")
    column_default_sort = "email"
    named_filter_urls = True
    column_filters = (
        FilterEqual(AdminUser.role, "Peran", options=[(r.value, r.value) for r in AdminRole]),
        BooleanEqualFilter(AdminUser.is_active, "Aktif"),
    )
    column_formatters = {
        "role": lambda v, c, m, n: m.role.value,
        "stores": lambda v, c, m, n: "semua" if m.is_super_admin() else
        ", ".join(s.name for s in m.stores) or "-",
        "last_login_at": lambda v, c, m, n: local_datetime(m.last_login_at),
        "created_at": lambda v, c, m, n: local_datetime(m.created_at),
        "updated_at": lambda v, c, m, n: local_datetime(m.updated_at),
    }
    column_formatters_detail = {**column_formatters, "is_active": yes_no}
    form = UserEditForm

    def __init__(self, **kwargs):
        super().__init__(AdminUser, db, **kwargs)

    def get_one(self, id):
        return super().get_one(digits_id(id)) if digits_id(id) else None

    def get_create_form(self):
        return UserCreateForm

    def create_form(self, obj=None):
        return _offer(super().create_form(obj))

    def edit_form(self, obj=None):
        form = _offer(super().edit_form(obj))
        if request.method == "GET" and obj is not None:
            form.role.data = obj.role.value
            form.stores.data = [str(s.id) for s in obj.stores]
        return form

    def create_model(self, form):
        try:
            user = admin_accounts.create_admin(
                form.email.data, name=form.name.data, role=form.role.data,
                stores=admin_accounts.stores_by_ids(form.stores.data),
                password=form.password.data)
            commit()
        except ShopError as error:
            return refused(form, error)
        return user

    def update_model(self, form, model) -> bool:
        try:
            admin_accounts.update_admin(
                model, name=form.name.data, role=form.role.data,
                stores=admin_accounts.stores_by_ids(form.stores.data), by=current_user)
            commit()
        except ShopError as error:
            return refused(form, error)
        return True

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    def _user_or_404(self, user_id) -> AdminUser:
        user = self.get_one(user_id)
        if user is None:
            abort(404)
        return user

    @expose("/password/", methods=("GET", "POST"))
    def password_view(self):
        """Set a new password for an account (its sessions end)."""
        user = self._user_or_404(request.args.get("id"))
        form = PasswordForm(get_form_data())
        if request.method == "POST" and form.validate():
            try:
                admin_accounts.reset_password(user, form.password.data)
                commit()
            except ShopError as error:
                refused(form, error)
            else:
                flash(f"Kata sandi {user.email} diganti; sesi lamanya berakhir.", "success")
                return redirect(self.get_url(".details_view", id=user.id))
        return self.render("admin/users/password.html", user=user, form=form)

    @expose("/active/", methods=("POST",))
    def active_view(self):
        """Enable or disable an account; a disabled account is signed out at once."""
        user = self._user_or_404(request.form.get("id"))
        active = request.form.get("active") == "1"
        run(lambda: admin_accounts.change_active(user, active, by=current_user),
            lambda u: f"{u.email} {'diaktifkan' if active else 'dinonaktifkan; sesinya berakhir'}.")
        return redirect(self.get_url(".details_view", id=user.id))


def _offer(form):
    form.stores.choices = _store_choices()
    return form


def register(admin: Admin) -> None:
    """Add this area's views to the back office."""
    admin.add_view(UserView(name="Pengguna admin", endpoint="admin_users"))
