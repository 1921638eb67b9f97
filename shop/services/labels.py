"""Indonesian labels for statuses and payment methods, shared by pages and messages."""

from __future__ import annotations

from ..models import OrderStatus, PaymentStatus, Store

ORDER_STATUS_LABELS = {
    OrderStatus.PENDING: "Menunggu Konfirmasi",
    OrderStatus.CONFIRMED: "Dikonfirmasi",
    OrderStatus.PROCESSING: "Sedang Diproses",
    OrderStatus.SHIPPED: "Sedang Dikirim",
    OrderStatus.DELIVERED: "Sudah Diterima",
    OrderStatus.COMPLETED: "Selesai",
    OrderStatus.CANCELLED: "Dibatalkan",
    OrderStatus.REJECTED: "Ditolak",
    OrderStatus.REFUNDED: "Dana Dikembalikan",
}

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: "Menunggu Pembayaran",
    PaymentStatus.AWAITING_CONFIRMATION: "Menunggu Verifikasi",
    PaymentStatus.PAID: "Lunas",
    PaymentStatus.FAILED: "Pembayaran Gagal",
    PaymentStatus.REFUNDED: "Dana Dikembalikan",
}

#: Payment methods of seed 002; a store without a gateway offers the first, second and last.
PAYMENT_METHODS = {
    "bank_transfer": "Transfer Bank",
    "e_wallet": "E-Wallet (GoPay, OVO, ShopeePay)",
    "cod": "Bayar di Tempat (COD)",
    "credit_card": "Kartu Kredit",
}
STOREFRONT_PAYMENT_METHODS = ("bank_transfer", "e_wallet", "cod")


def payment_method_label(method: str | None, store: Store | None = None) -> str:
    """'Transfer Bank BCA' for a store with one BCA account; the plain label otherwise."""
    if not method:
        return ""
    label = PAYMENT_METHODS.get(method, method)
    if method == "bank_transfer" and store is not None and store.bank_accounts:
        label += " " + "/".join(acc.get("bank", "") for acc in store.bank_accounts)
    return label
