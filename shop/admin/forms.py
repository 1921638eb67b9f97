"""Forms of the back office that are not Flask-Admin's model forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Email and password; the checks are the admin_users service's."""

    email = StringField(_l("Email"), validators=[DataRequired("Wajib diisi."), Length(max=255)])
    password = PasswordField(_l("Kata sandi"),
                             validators=[DataRequired("Wajib diisi."), Length(max=128)])
    remember = BooleanField(_l("Ingat saya"))
    next = HiddenField()
