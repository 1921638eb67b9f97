"""The dealer API's JSON shapes: money as strings with two decimals (as the checkout API),
times as seed 004 writes them ("YYYY-MM-DD HH:MM:SS", in the distributor's time zone)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..models import Order, Product, Shop
from ..services.dealer_cart import CartView
from ..services.dealer_catalog import PartView
from ..services.dealer_orders import can_cancel, order_lines
from ..services.labels import ORDER_STATUS_LABELS
from ..services.money import money_json


def when(value: datetime | None, shop: Shop) -> str | None:
    """A moment as seed 004 shows it, in the distributor's time zone."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(shop.store.timezone)).strftime("%Y-%m-%d %H:%M:%S")


#: The largest id an integer column holds (PostgreSQL's and SQLite's refuse larger ones).
MAX_ID = 2**31 - 1


def whole_id(value) -> int | None:
    """An id sent as a number or as its digits; anything else, or a number no row can have,
    is no id (not found)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    return None


def row_id(value: int) -> int:
    """An id of the URL (<int:...>) as a row's: one beyond the column's range is no row's."""
    return value if value <= MAX_ID else 0


def shop_json(shop: Shop) -> dict:
    """The shop as seed 004's verify-otp answers it, with its address."""
    return {"id": shop.id, "code": shop.code, "name": shop.name, "phone": shop.phone,
            "address": shop.address, "city": shop.city, "province": shop.province}


def pagination(page) -> dict:
    """Where a page of a list is: number, size, how many in all and how many pages."""
    return {"page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}


def stock_json(product: Product, shop: Shop, *, live: bool = False) -> dict:
    """A part's stock in the legacy ERP and when it was read: just now (`"source": "erp"`),
    or by the last sync (`"sync"`: the ERP did not answer or has no row this month)."""
    return {"product_id": product.id, "code": product.code, "stock": product.legacy_stock,
            "stock_synced_at": when(product.stock_synced_at, shop),
            "source": "erp" if live else "sync"}


def part_json(view: PartView, shop: Shop) -> dict:
    """A part at the shop's price, beside the list price, with the synced stock."""
    product = view.product
    return {"id": product.id, "code": product.code, "name": product.name,
            "category": product.category, "description": product.description,
            "price": money_json(view.price), "list_price": money_json(view.list_price),
            "stock": view.stock, "stock_synced_at": when(view.stock_synced_at, shop),
            "is_ready": view.is_ready}


def cart_json(view: CartView, shop: Shop) -> dict:
    """The cart's lines at the shop's prices, totals and whether it can be checked out."""
    return {
        "items": [{
            "id": ln.item_id, "product_id": ln.product_id, "code": ln.code, "name": ln.name,
            "category": ln.category, "qty": ln.qty, "price": money_json(ln.unit_price),
            "list_price": money_json(ln.list_price), "subtotal": money_json(ln.subtotal),
            "stock": ln.stock, "stock_synced_at": when(ln.stock_synced_at, shop),
            "is_active": ln.is_active, "over_stock": ln.over_stock,
        } for ln in view.lines],
        "total": money_json(view.total), "qty": view.qty, "can_check_out": view.can_check_out,
    }


def order_json(order: Order, shop: Shop, *, lines: bool = True) -> dict:
    """An order of the shop: number, status, totals, the SO number once in the legacy ERP,
    and (unless a list) its lines."""
    answer = {
        "id": order.id, "number": order.number, "status": order.status.value,
        "status_label": ORDER_STATUS_LABELS[order.status],
        "subtotal": money_json(order.subtotal), "discount": money_json(order.discount),
        "total": money_json(order.total), "notes": order.notes,
        "can_cancel": can_cancel(order),
        "legacy_state": order.legacy_state.value if order.legacy_state else None,
        "so_number": order.ref_so_number,
        "created_at": when(order.created_at, shop), "approved_at": when(order.approved_at, shop),
        "submitted_at": when(order.submitted_at, shop),
    }
    if lines:
        answer["items"] = [
            {"product_id": item.product_id, "code": item.code, "name": item.name,
             "qty": item.qty, "price": money_json(item.unit_price),
             "discount": money_json(item.discount), "subtotal": money_json(item.subtotal)}
            for item in order_lines(order)]
    return answer
