"""Seed 002's verify_payment: whether the customer's order is paid, with the payment as
recorded (shop.services.payment_records, transfer proofs), or else what to do now for the
order's payment method, written for the chat in Indonesian from the store's bank accounts
(shop.services.payments.transfer_instructions) and e-wallets. The order's public tracking
link is never given: a phone number is all a web chat's caller needs to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..models import (
    EventKind,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentRecordStatus,
    PaymentStatus,
    Store,
)
from .bot_tools import contact_of, customer_of, customer_order
from .labels import ORDER_STATUS_LABELS, PAYMENT_METHODS
from .money import format_rupiah
from .payments import transfer_instructions
from .transfer_proofs import latest_rejection

#: What seed 002 calls a payment that went through.
COMPLETED = "COMPLETED"
ZERO = Decimal("0")


@dataclass(frozen=True)
class PaidDetails:
    status: str
    method: str | None
    amount: Decimal
    paid_at: datetime | None
    transaction_id: str | None


@dataclass(frozen=True)
class BillLine:
    code: str
    name: str
    qty: int
    unit_price: Decimal
    subtotal: Decimal


@dataclass(frozen=True)
class PaymentCheck:
    """An order's payment as verify_payment answers it; the bill is always filled, the
    answer shows it when `detailed` is asked for."""

    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    method: str | None
    is_paid: bool
    paid: PaidDetails | None
    instructions: str | None
    subtotal: Decimal
    discount: Decimal
    shipping_fee: Decimal
    total: Decimal
    amount_paid: Decimal
    amount_due: Decimal
    created_at: datetime
    lines: list[BillLine]


def verify_payment(store: Store, *, order_ref, customer_ref=None, phone=None) -> PaymentCheck:
    """The customer's order's payment: paid (method, amount, when, the reference), or the
    instructions for its method. Raises InvalidInput or NotFound (another customer's order
    as an unknown one)."""
    customer = customer_of(store, customer_ref=customer_ref, phone=phone)
    order = customer_order(store, customer, order_ref)
    payments = list(db.session.scalars(select(Payment).where(
        Payment.order_id == order.id, Payment.status == PaymentRecordStatus.CONFIRMED)
        .order_by(Payment.created_at.desc(), Payment.id.desc())))
    is_paid = order.payment_status == PaymentStatus.PAID
    received = sum((p.amount for p in payments), ZERO)
    if is_paid and not payments:  # marked paid without a record: the whole total
        received = order.total
    settled = is_paid or order.payment_status == PaymentStatus.REFUNDED \
        or order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED)
    return PaymentCheck(
        number=order.number, status=order.status, payment_status=order.payment_status,
        method=order.payment_method.value if order.payment_method else None,
        is_paid=is_paid, paid=paid_details(order, payments) if is_paid else None,
        instructions=None if is_paid else instructions(store, order),
        subtotal=order.subtotal, discount=order.discount, shipping_fee=order.shipping_fee,
        total=order.total, amount_paid=received,
        amount_due=ZERO if settled else max(order.amount_due - received, ZERO),
        created_at=order.created_at, lines=bill_lines(order))


def paid_details(order: Order, payments: list[Payment]) -> PaidDetails:
    """The newest confirmed payment; for an order marked paid without one, the order's
    method and total and the moment its payment became PAID."""
    if payments:
        newest = payments[0]
        method = newest.method or order.payment_method
        return PaidDetails(COMPLETED, method.value if method else None, newest.amount,
                           newest.decided_at or newest.created_at, newest.reference)
    paid_at = db.session.scalar(select(OrderEvent.created_at).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.PAYMENT,
        OrderEvent.to_status == PaymentStatus.PAID.value)
        .order_by(OrderEvent.id.desc()).limit(1))
    method = order.payment_method.value if order.payment_method else None
    return PaidDetails(COMPLETED, method, order.total, paid_at, None)


def bill_lines(order: Order) -> list[BillLine]:
    return [BillLine(i.code, i.name, i.qty, i.unit_price, i.subtotal)
            for i in db.session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)
                                        .order_by(OrderItem.id))]


def _ask(store: Store) -> str:
    contact = contact_of(store)
    return f"hubungi tim {store.name} di WhatsApp {contact['whatsapp']} ({contact['url']})"


def instructions(store: Store, order: Order) -> str:
    """What the customer should do about an unpaid order, in Indonesian."""
    number = order.number
    if order.payment_status == PaymentStatus.REFUNDED:
        return f"Pembayaran pesanan {number} sudah dikembalikan (refund). Ada pertanyaan? " \
               f"Silakan {_ask(store)}."
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        return f"Pesanan {number} sudah {ORDER_STATUS_LABELS[order.status].lower()}, " \
               "jadi tidak perlu dibayar."
    if order.payment_status == PaymentStatus.AWAITING_CONFIRMATION:
        return (f"Bukti pembayaran pesanan {number} sudah kami terima dan sedang diperiksa "
                f"tim {store.name}. Anda akan mendapat pesan setelah pembayaran "
                f"dikonfirmasi. Jika lama belum ada kabar, {_ask(store)}.")
    if order.payment_status == PaymentStatus.FAILED:
        return f"Pembayaran pesanan {number} gagal. Silakan {_ask(store)} untuk membayar ulang."
    text = method_instructions(store, order)
    rejected = latest_rejection(order.id)
    if rejected:
        text = f"⚠️ Bukti pembayaran sebelumnya ditolak: {rejected}\n\n{text}"
    return text


def method_instructions(store: Store, order: Order) -> str:
    """How to pay an order still waiting for its money, by its payment method."""
    amount, number = format_rupiah(order.amount_due), order.number
    method = order.payment_method
    if method == PaymentMethod.QRIS and store.qris_payload:
        return (f"📱 *Bayar dengan QRIS*\n\nJumlah: {amount}\nBuka link pelacakan pesanan "
                f"{number} di pesan konfirmasi: QRIS {store.name} dengan nominal {amount} "
                "sudah terisi, tinggal scan dengan aplikasi e-wallet atau m-banking apa pun.")
    if method == PaymentMethod.COD:
        return (f"💵 *Bayar di Tempat (COD)*\n\nSiapkan uang tunai {amount} (sebaiknya uang "
                f"pas) untuk dibayarkan ke kurir saat pesanan {number} tiba, dan pastikan ada "
                "yang menerima paket di alamat pengiriman.")
    if method not in (PaymentMethod.BANK_TRANSFER, PaymentMethod.E_WALLET):
        label = PAYMENT_METHODS.get(method, "belum dipilih") if method else "belum dipilih"
        return (f"Metode pembayaran pesanan {number}: {label}. Untuk cara membayar "
                f"{amount}, silakan {_ask(store)}.")
    title, where, accounts = _accounts(store, order)
    if not accounts:
        return f"Nomor {where} {store.name} belum tercantum. Untuk membayar {amount}, " \
               f"silakan {_ask(store)}."
    due = f"Jumlah: {amount}"
    if order.unique_code and method == PaymentMethod.BANK_TRANSFER:
        due = f"Jumlah: {amount} (transfer tepat, termasuk kode unik {order.unique_code})"
    return "\n".join([
        title, "", due, f"Referensi: {number} (tulis di berita/catatan)", "",
        f"Ke salah satu {where} {store.name}:", *accounts, "",
        "Setelah membayar, kirim foto bukti pembayaran lewat link pelacakan di pesan "
        "konfirmasi pesanan Anda, agar segera kami periksa."])


def _accounts(store: Store, order: Order) -> tuple[str, str, list[str]]:
    """The title, the kind of account and the store's accounts (one line each) to pay a
    bank-transfer or e-wallet order into."""
    if order.payment_method == PaymentMethod.BANK_TRANSFER:
        transfer = transfer_instructions(
            store, number=order.number, total=order.total, payment_method=order.payment_method,
            payment_status=order.payment_status, status=order.status)
        return "💳 *Instruksi Transfer Bank*", "rekening", [
            f"- {a.get('bank', '')}: {a.get('number', '')} a.n. {a.get('holder', '')}"
            for a in (transfer.accounts if transfer else [])]
    return "📱 *Instruksi Pembayaran E-Wallet*", "e-wallet", [
        f"- {a.get('provider', '')}: {a.get('number', '')} a.n. {a.get('holder', '')}"
        for a in store.e_wallets or []]
