"""One change request on an order (seed 000's PATCH /api/orders/:id): edits, then status,
then payment status, all in the caller's transaction, so a refusal changes nothing."""

from __future__ import annotations

from ..errors import InvalidInput
from ..models import Order
from .order_edits import EDITABLE, IMMUTABLE, edit_order
from .orders import set_payment_status, transition

#: The API's names for edit_order's fields, where they differ.
API_FIELDS = {"address": "shipping_address"}
CONTROL = {"status", "note", "payment_status"}


def update_order(order: Order, changes: dict, *, actor: str) -> Order:
    """Apply an admin's edit and status changes. Raises InvalidInput, TransitionRefused,
    OutOfStock, NotFound or StaleChange (the caller rolls back, so nothing of it stays)."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("Tidak ada yang diubah.")
    refused = sorted(set(changes) & IMMUTABLE)
    unknown = sorted(set(changes) - IMMUTABLE - CONTROL - EDITABLE - set(API_FIELDS)
                     - {"shipping_address"})
    if refused or unknown:
        names = refused + unknown
        raise InvalidInput(
            "Tidak bisa diubah: " + ", ".join(names) + ".",
            fields={n: "Tidak bisa diubah." if n in refused else "Kolom tidak dikenal."
                    for n in names},
        )
    note = changes.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidInput("Catatan tidak valid.", fields={"note": "Harus berupa teks."})
    edits = {API_FIELDS.get(k, k): v for k, v in changes.items() if k not in CONTROL}
    if edits:
        edit_order(order, edits, actor=actor)
    if "status" in changes and changes["status"] != order.status:
        transition(order, changes["status"], actor=actor, note=note)
    if "payment_status" in changes and changes["payment_status"] != order.payment_status:
        set_payment_status(order, changes["payment_status"], actor=actor, note=note)
    return order
