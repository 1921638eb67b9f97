"""Payment instructions for the shopper (seed 002's getPaymentInstructions)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..models import OrderStatus, PaymentMethod, PaymentStatus, Store


@dataclass(frozen=True)
class TransferInstructions:
    """Where to transfer how much, with the order number as the reference."""

    amount: Decimal
    reference: str
    accounts: list[dict]


def transfer_instructions(
    store: Store, *, number: str, total: Decimal, payment_method: str | None,
    payment_status: PaymentStatus, status: OrderStatus,
) -> TransferInstructions | None:
    """The bank details to show while a bank-transfer order is unpaid and still open."""
    if (payment_method != PaymentMethod.BANK_TRANSFER or not store.bank_accounts
            or payment_status != PaymentStatus.PENDING
            or status in (OrderStatus.CANCELLED, OrderStatus.REJECTED)):
        return None
    return TransferInstructions(amount=total, reference=number, accounts=list(store.bank_accounts))
