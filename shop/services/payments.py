"""Payment instructions for the shopper (seed 002's getPaymentInstructions): what to pay, how
and where, for each method the store offers, while the order waits for its money. The
tracking page, the checkout's JSON answer, the confirmation message and the bots all read
them from here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..models import OrderStatus, PaymentMethod, PaymentStatus
from ..template_i18n import gettext as _
from .money import format_rupiah, money_json

#: Orders in these states are not paid any more.
CLOSED = (OrderStatus.CANCELLED, OrderStatus.REJECTED)


@dataclass(frozen=True)
class TransferInstructions:
    """Where to transfer how much, with the order number as the reference."""

    amount: Decimal
    reference: str
    accounts: list[dict]
    #: The store's unique code inside `amount` (None: the plain total).
    unique_code: int | None = None


def transfer_instructions(
    store, *, number: str, total: Decimal, payment_method: str | None,
    payment_status: PaymentStatus, status: OrderStatus, unique_code: int | None = None,
) -> TransferInstructions | None:
    """The bank details to show while a bank-transfer order is unpaid and still open."""
    if (payment_method != PaymentMethod.BANK_TRANSFER or not store.bank_accounts
            or payment_status != PaymentStatus.PENDING or status in CLOSED):
        return None
    return TransferInstructions(amount=total + (unique_code or 0), reference=number,
                                accounts=list(store.bank_accounts), unique_code=unique_code)


@dataclass(frozen=True)
class PaymentInstructions:
    """How to pay one order by its method: the exact amount, and the store's accounts,
    wallets or QRIS (the dynamic payload with the amount in it)."""

    method: str
    amount_due: Decimal
    unique_code: int | None
    reference: str
    #: Bank accounts ({"bank", "number", "holder"}) for a transfer.
    accounts: tuple = ()
    #: E-wallets ({"provider", "number", "holder"}).
    e_wallets: tuple = ()
    #: The dynamic QRIS payload with the amount due, and the merchant it pays.
    qris: str | None = None
    merchant_name: str | None = None

    @property
    def amount_text(self) -> str:
        return format_rupiah(self.amount_due)

    def lines(self) -> list[str]:
        """The instructions as plain lines in the current language (messages, bots, JSON)."""
        amount, number = self.amount_text, self.reference
        if self.method == PaymentMethod.BANK_TRANSFER:
            head = (_("Transfer tepat %(amount)s (termasuk kode unik %(code)s) ke:",
                      amount=amount, code=self.unique_code) if self.unique_code
                    else _("Silakan transfer %(amount)s ke:", amount=amount))
            return [head, *(_account(a, "bank") for a in self.accounts),
                    _("Cantumkan nomor pesanan #%(number)s di berita transfer.", number=number)]
        if self.method == PaymentMethod.E_WALLET:
            return [_("Kirim %(amount)s ke salah satu e-wallet:", amount=amount),
                    *(_account(w, "provider") for w in self.e_wallets),
                    _("Tulis #%(number)s di catatan pembayaran.", number=number)]
        if self.method == PaymentMethod.QRIS:
            return [_("Scan QRIS %(merchant)s di halaman pesanan; nominal %(amount)s sudah "
                      "terisi.", merchant=self.merchant_name or "", amount=amount)]
        if self.method == PaymentMethod.COD:
            return [_("Bayar tunai %(amount)s kepada kurir saat pesanan tiba; siapkan uang "
                      "pas.", amount=amount)]
        return []

    def text(self) -> str:
        return "\n".join(self.lines())

    def as_json(self) -> dict:
        return {"method": self.method, "amount_due": money_json(self.amount_due),
                "unique_code": self.unique_code, "instructions": self.text() or None,
                "qris": self.qris}


def _account(account: dict, kind: str) -> str:
    holder = account.get("holder")
    where = f"{account.get(kind, '')} {account.get('number', '')}".strip()
    return f"- {where} " + _("a.n. %(holder)s", holder=holder) if holder else f"- {where}"


def payment_instructions(
    store, *, number: str, total: Decimal, unique_code: int | None,
    payment_method: str | None, payment_status: PaymentStatus, status: OrderStatus,
    shipping_pending: bool = False,
) -> PaymentInstructions | None:
    """How to pay an order still waiting for its money (None when it is paid, under review,
    closed, has no method the store can take, or its shipping fee is still to be confirmed:
    the amount is not known yet, and the shopper is told it will follow)."""
    if (not payment_method or payment_status != PaymentStatus.PENDING or status in CLOSED
            or shipping_pending):
        return None
    amount = total + (unique_code or 0)
    base = {"method": payment_method, "amount_due": amount, "reference": number,
            "unique_code": unique_code if payment_method == PaymentMethod.BANK_TRANSFER
            else None}
    if payment_method == PaymentMethod.BANK_TRANSFER:
        accounts = tuple(store.bank_accounts or ())
        return PaymentInstructions(**base, accounts=accounts) if accounts else None
    if payment_method == PaymentMethod.E_WALLET:
        wallets = tuple(getattr(store, "e_wallets", None) or ())
        return PaymentInstructions(**base, e_wallets=wallets) if wallets else None
    if payment_method == PaymentMethod.QRIS:
        static = getattr(store, "qris_payload", None)
        if not static or amount <= 0:
            return None
        from .qris import dynamic_payload, read_static

        return PaymentInstructions(**base, qris=dynamic_payload(static, amount),
                                   merchant_name=read_static(static).merchant_name)
    if payment_method == PaymentMethod.COD:
        return PaymentInstructions(**base)
    return None


def order_payment_instructions(store, order) -> PaymentInstructions | None:
    """payment_instructions for an order (or any row with its columns)."""
    return payment_instructions(
        store, number=order.number, total=order.total, unique_code=order.unique_code,
        payment_method=order.payment_method, payment_status=order.payment_status,
        status=order.status, shipping_pending=order.shipping_fee_pending)
