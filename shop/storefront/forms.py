"""Forms of the storefront, validated on the server."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..errors import InvalidInput
from ..services.addresses import PROVINCES, clean_postal_code, clean_province
from ..services.customers import clean_email, clean_name
from ..services.labels import STOREFRONT_PAYMENT_METHODS
from ..services.phones import normalize_phone
from ..services.shipping_fees import courier_choices
from ..services.validation import clean_text
from ..template_i18n import FORM_TRANSLATIONS
from ..web import page_payment_label


class StorefrontForm(FlaskForm):
    """The storefront's forms: WTForms' own messages from a catalog loaded once a process.
    Their CSRF token is checked before the view by CSRFProtect, which covers every storefront
    route; the form does not check it a second time (a page renders csrf_token() itself)."""

    class Meta:
        csrf = False

        def get_translations(self, form):
            return FORM_TRANSLATIONS


class CartForm(StorefrontForm):
    """Add a product, or change or remove a line."""

    code = HiddenField(validators=[DataRequired(), Length(max=50)])
    qty = IntegerField(_l("Jumlah"), default=1,
                       validators=[Optional(), NumberRange(min=0, max=1000)])
    action = HiddenField(default="add")
    next = HiddenField()


class ChatForm(StorefrontForm):
    """A shopper's message to the store's support chat."""

    message = TextAreaField(_l("Pesan"), validators=[
        DataRequired(_l("Tulis pesan Anda dulu.")),
        Length(max=2000, message=_l("Pesan terlalu panjang (maksimal 2.000 huruf)."))])


class CheckoutForm(StorefrontForm):
    """The shopper's details; prices and stock are checked by the checkout operation."""

    name = StringField(_l("Nama"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=255)])
    phone = StringField(
        _l("Nomor WhatsApp"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=32)]
    )
    address = TextAreaField(_l("Alamat (jalan, nomor rumah, RT/RW)"),
                            validators=[DataRequired(_l("Wajib diisi.")), Length(max=1000)])
    district = StringField(_l("Kecamatan"),
                           validators=[DataRequired(_l("Wajib diisi.")), Length(max=100)])
    city = StringField(_l("Kota/Kabupaten"),
                       validators=[DataRequired(_l("Wajib diisi.")), Length(max=100)])
    # Checked by validate_province (the checkout's rule), not by WTForms' choice check, which
    # builds two objects per province on every submit.
    province = SelectField(_l("Provinsi"), validators=[DataRequired(_l("Wajib diisi."))],
                           choices=[SelectChoice("", _l("Pilih provinsi"))]
                           + [SelectChoice(p, p) for p in PROVINCES], validate_choice=False)
    postal_code = StringField(_l("Kode pos"), validators=[Optional(), Length(max=10)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=255)])
    courier = RadioField(_l("Kurir"), validators=[Optional()], validate_choice=False)
    payment_method = RadioField(_l("Metode Bayar"), validators=[Optional()],
                                validate_choice=False)
    notes = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=1000)])
    idempotency_key = HiddenField()

    def validate_name(self, field) -> None:
        """The same rules as checkout, so every field error shows at the first submit."""
        _check(clean_name, field.data)

    def validate_phone(self, field) -> None:
        """A number WhatsApp can reach."""
        _check(normalize_phone, field.data)

    def validate_address(self, field) -> None:
        """Lines of text without control characters."""
        _check(lambda v: clean_text(v, field="address", label=_l("Alamat")), field.data)

    def validate_province(self, field) -> None:
        """One of the provinces of the list."""
        _check(clean_province, field.data)

    def validate_postal_code(self, field) -> None:
        """Five digits, when given."""
        _check(clean_postal_code, field.data)

    def validate_email(self, field) -> None:
        """A valid address, when given."""
        _check(clean_email, field.data)

    def validate_notes(self, field) -> None:
        """Lines of text without control characters, when given."""
        _check(lambda v: clean_text(v, field="notes", label=_l("Catatan")), field.data)

    def offer(self, store) -> CheckoutForm:
        """Fill the choices with what this store offers, each courier with its fee; a store
        that offers one courier or one payment method has it chosen already."""
        self.courier.choices = courier_choices(store)
        self.payment_method.choices = [
            (m, page_payment_label(m, store)) for m in offered_payment_methods(store)]
        self.courier.data = self.courier.data or preset_courier(store)
        if len(self.payment_method.choices) == 1 and not self.payment_method.data:
            self.payment_method.data = self.payment_method.choices[0][0]
        return self


def preset_courier(store) -> str | None:
    """The courier a checkout has chosen before the shopper does: the store's only one."""
    couriers = store.couriers or ()
    return couriers[0] if len(couriers) == 1 else None


def offered_payment_methods(store) -> list[str]:
    """The storefront's methods this store can take: a transfer needs a bank account, an
    e-wallet payment a wallet number, QRIS the store's QRIS; cash on delivery is always
    possible."""
    has = {"bank_transfer": bool(store.bank_accounts),
           "e_wallet": bool(getattr(store, "e_wallets", None)),
           "qris": bool(getattr(store, "qris_payload", None)), "cod": True}
    return [m.value for m in STOREFRONT_PAYMENT_METHODS if has.get(m.value, True)]


def _check(clean, value) -> None:
    try:
        clean(value)
    except InvalidInput as error:
        raise ValidationError(next(iter(error.fields.values()), error.message)) from None
