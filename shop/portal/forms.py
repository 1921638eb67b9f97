"""Forms of the dealer portal, validated on the server (every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from ..services.validation import MAX_QTY

QTY_RANGE = NumberRange(min=1, max=MAX_QTY, message=_l("Jumlah harus 1 sampai 1.000."))


class LoginForm(FlaskForm):
    """The dealer's WhatsApp number or shop code (TK001)."""

    login = StringField(_l("Nomor WhatsApp atau kode toko"),
                        validators=[DataRequired(_l("Wajib diisi.")), Length(max=32)])

    def otp_request(self) -> dict:
        """The request_otp arguments: a shop code has letters, a phone number has none."""
        text = self.login.data.strip()
        if any(ch.isalpha() for ch in text):
            return {"shop_code": text}
        return {"phone": text}


class CodeForm(FlaskForm):
    """The 6-digit code from WhatsApp."""

    code = StringField(_l("Kode OTP"), validators=[
        DataRequired(_l("Wajib diisi.")),
        Regexp(r"^\s*[0-9]{6}\s*$", message=_l("Kode terdiri dari 6 angka."))])


class ActionForm(FlaskForm):
    """A button that changes something (remove, clear, resend, reorder, logout): only the
    CSRF token."""


class AddToCartForm(FlaskForm):
    """A part and how many of it to add."""

    product_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    qty = IntegerField(_l("Jumlah"), default=1, validators=[InputRequired(), QTY_RANGE])
    next = HiddenField()


class QuantityForm(FlaskForm):
    """A cart line's new quantity."""

    qty = IntegerField(_l("Jumlah"), validators=[InputRequired(), QTY_RANGE])


class CheckoutForm(FlaskForm):
    """The review step: notes for the distributor, and the key that makes a double submit
    one order."""

    notes = TextAreaField(_l("Catatan untuk distributor"),
                          validators=[Optional(), Length(max=1000)])
    idempotency_key = HiddenField()


class CancelForm(FlaskForm):
    """Cancelling a pending order, with an optional reason."""

    reason = StringField(_l("Alasan"), validators=[Optional(), Length(max=500)])
