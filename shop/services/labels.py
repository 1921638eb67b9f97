"""Indonesian labels for statuses and payment methods, shared by pages and messages."""

from __future__ import annotations

from ..models import Channel, OrderStatus, PaymentMethod, PaymentStatus, Store


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a label for the catalog; pages translate it when they render it, while messages
    to customers keep the store's language (Indonesian)."""
    return text


ORDER_STATUS_LABELS = {
    OrderStatus.PENDING: N_("Menunggu Konfirmasi"),
    OrderStatus.CONFIRMED: N_("Dikonfirmasi"),
    OrderStatus.PROCESSING: N_("Sedang Diproses"),
    OrderStatus.SHIPPED: N_("Sedang Dikirim"),
    OrderStatus.DELIVERED: N_("Sudah Diterima"),
    OrderStatus.COMPLETED: N_("Selesai"),
    OrderStatus.CANCELLED: N_("Dibatalkan"),
    OrderStatus.REJECTED: N_("Ditolak"),
    OrderStatus.REFUNDED: N_("Dana Dikembalikan"),
}

CHANNEL_LABELS = {
    Channel.STOREFRONT: N_("Toko online"),
    Channel.B2B: N_("B2B (toko dealer)"),
    Channel.WHATSAPP: N_("WhatsApp"),
    Channel.ADMIN: N_("Admin (telepon / langsung)"),
    Channel.BOT: N_("Chatbot"),
}

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: N_("Menunggu Pembayaran"),
    PaymentStatus.AWAITING_CONFIRMATION: N_("Menunggu Verifikasi"),
    PaymentStatus.PAID: N_("Lunas"),
    PaymentStatus.FAILED: N_("Pembayaran Gagal"),
    PaymentStatus.REFUNDED: N_("Dana Dikembalikan"),
}

#: Payment methods of seed 002; a store without a gateway offers the first, second and last.
PAYMENT_METHODS = {
    PaymentMethod.BANK_TRANSFER: N_("Transfer Bank"),
    PaymentMethod.E_WALLET: N_("E-Wallet (GoPay, OVO, ShopeePay)"),
    PaymentMethod.COD: N_("Bayar di Tempat (COD)"),
    PaymentMethod.QRIS: N_("QRIS (semua e-wallet & m-banking)"),
    PaymentMethod.CREDIT_CARD: N_("Kartu Kredit"),
}
#: QRIS only where the store has one (Store.qris_payload).
STOREFRONT_PAYMENT_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.QRIS,
                              PaymentMethod.E_WALLET, PaymentMethod.COD)


def payment_method_label(method: str | None, store: Store | None = None) -> str:
    """'Transfer Bank BCA' for a store with one BCA account; the plain label otherwise."""
    if not method:
        return ""
    label = PAYMENT_METHODS.get(method, method)
    if method == PaymentMethod.BANK_TRANSFER and store is not None and store.bank_accounts:
        label += " " + "/".join(acc.get("bank", "") for acc in store.bank_accounts)
    return label
