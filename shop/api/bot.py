"""The bot tools API of seed 002 under /api/bot, for a store's support chatbot. Every call
needs `Authorization: Bearer <key>` with a live key of the store (made in the back office or
by `flask create-api-key`); a key in the query string is refused even when it is valid (URLs
end up in logs and proxies). The key decides the store; `customerId` or `phone` decides
whose orders a call may reach. The views parse and format; shop.services.bot_tools (and
bot_payments, bot_inventory) decide. BOT_API_RATE_LIMIT (120 a minute) counts every call of
a key together, whichever tool; over it the answer is a JSON 429.

Each tool is registered once with `@bot_tool(...)`: that gives it its endpoint, its entry in
GET /api/bot/tools (the definitions an LLM is given) and in the OpenAPI document, all from
the one input model that validates the call, and lets the support chat run it
(`run_tool`) exactly as the endpoint does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from pydantic import BaseModel

from ..errors import NotSignedIn, ShopError
from ..extensions import db, limiter
from ..models import ApiKey, Store
from ..portal.auth import bearer_token
from ..services.api_keys import authenticate_api_key
from ..services.bot_inventory import check_inventory
from ..services.bot_payments import verify_payment
from ..services.bot_tools import (
    cancel_order,
    order_summary,
    track_order,
    update_shipping_address,
)
from ..unit_of_work import commit
from .bot_answers import (
    AddressAnswer,
    AddressInput,
    CancelAnswer,
    CancelInput,
    InventoryAnswer,
    InventoryInput,
    PaymentAnswer,
    PaymentInput,
    SummaryAnswer,
    SummaryInput,
    TrackAnswer,
    TrackInput,
    address_json,
    cancel_json,
    inventory_json,
    payment_json,
    summary_json,
    track_json,
)
from .schema import Schema, documented, parse_body

bp = Blueprint("bot", __name__, url_prefix="/api/bot")

#: Query parameters a key must never come in.
KEY_PARAMETERS = ("api_key", "apikey", "key", "token", "access_token")
KEY_IN_URL = "Kirim API key di header Authorization: Bearer, bukan di URL."


def request_key() -> ApiKey:
    """The live key of this request's Authorization header, looked up once per request (the
    rate limit asks first). Raises NotSignedIn."""
    if "bot_key" not in g:
        g.bot_key = authenticate_api_key(bearer_token())
    return g.bot_key


def rate_limit_key() -> str:
    """The rate-limit bucket: the key of a live bearer key, else the caller's address (calls
    that will be refused anyway, so guessing keys is limited too)."""
    try:
        return f"key:{request_key().id}"
    except NotSignedIn:
        return f"addr:{get_remote_address()}"


def _rate_limit() -> str:
    return current_app.config["BOT_API_RATE_LIMIT"]


#: BOT_API_RATE_LIMIT calls per key over every /api/bot endpoint together (JSON 429).
limiter.shared_limit(_rate_limit, scope="bot_api", key_func=rate_limit_key)(bp)


@bp.teardown_request
def forget_key(_error=None) -> None:
    """The key belongs to one request, even when the app context that holds g lives on."""
    g.pop("bot_key", None)


@bp.before_request
def require_api_key():
    """Every call needs a live key in the Authorization header (401 JSON otherwise)."""
    if any(name in request.args for name in KEY_PARAMETERS):
        raise NotSignedIn(KEY_IN_URL)
    try:
        request_key()
        commit()  # last_used_at is kept whatever the call answers
    except NotSignedIn:
        db.session.rollback()
        raise


@bp.errorhandler(NotSignedIn)
def not_signed_in(error: NotSignedIn):
    """401 with the scheme the API expects."""
    return jsonify(error.to_json()), 401, {"WWW-Authenticate": 'Bearer realm="bot"'}


@bp.after_request
def not_stored(response):
    """Customers' orders are never kept by a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def current_key() -> ApiKey:
    return g.bot_key


def bot_actor() -> str:
    """Who a tool's change is recorded as: "bot:<key prefix>" (the support chat outside the
    API, which has no key: "bot")."""
    key = g.get("bot_key")
    return f"bot:{key.prefix}" if key is not None else "bot"


@dataclass(frozen=True)
class Tool:
    """One tool of the support bot: its name for the model, what it is for, the model that
    validates its input, and the operation that answers it."""

    name: str
    description: str
    path: str
    input: type[BaseModel]
    run: Callable[[Store, BaseModel], dict]

    def definition(self) -> dict:
        """The tool as the Messages API takes it (name, description, input_schema)."""
        return {"name": self.name, "description": self.description,
                "input_schema": self.input.model_json_schema()}


#: Every tool by name, in the order they are registered.
TOOLS: dict[str, Tool] = {}


def bot_tool(name: str, path: str, *, input: type[BaseModel], answer: type[BaseModel],
             description: str, errors: tuple[int, ...] = (400, 404, 422, 429)) -> Callable:
    """Register `run(store, payload) -> dict` as the tool `name` at POST /api/bot<path>."""

    def register(run: Callable[[Store, BaseModel], dict]) -> Callable:
        def view():
            answered = run(current_key().store, parse_body(input))
            commit()
            return jsonify(answered)

        view.__name__ = view.__qualname__ = run.__name__
        view.__doc__ = run.__doc__
        documented(answer=answer, body=input, security="botKey", errors=errors)(view)
        bp.add_url_rule(path, endpoint=run.__name__, view_func=view, methods=["POST"])
        TOOLS[name] = Tool(name, description, path, input, run)
        return run

    return register


def run_tool(store: Store, name: str, arguments: dict) -> tuple[bool, dict]:
    """Run a tool as its endpoint would (for the support chat): (ok, answer or error JSON).
    A refusal is an answer the model reads, not an exception; the caller commits."""
    tool = TOOLS.get(name)
    if tool is None:
        return False, {"success": False, "error": f"Tool {name!r} tidak ada.",
                       "code": "not_found"}
    try:
        return True, tool.run(store, parse_body(tool.input, arguments))
    except ShopError as error:
        return False, error.to_json()


class ToolDefinition(Schema):
    name: str
    description: str
    input_schema: dict
    endpoint: str


class ToolsAnswer(Schema):
    """The tool definitions, ready for LLM function calling."""

    success: bool
    tools: list[ToolDefinition]


@bp.get("/tools")
@documented(answer=ToolsAnswer, security="botKey", errors=(429,))
def tools():
    """The definitions of every bot tool (name, description, JSON schema of the input)."""
    return jsonify({"success": True, "tools": [
        {**tool.definition(), "endpoint": f"{bp.url_prefix}{tool.path}"}
        for tool in TOOLS.values()]})


def _customer(payload) -> dict:
    return {"customer_ref": payload.customerId, "phone": payload.phone}


REFUSED = (400, 404, 409, 422, 429)


@bot_tool("track_order", "/order/track", input=TrackInput, answer=TrackAnswer,
          description="Lacak pesanan pelanggan: status pesanan, kurir, nomor resi dengan link "
                      "pelacakan, lokasi terakhir dan estimasi tiba. Kapan digunakan: "
                      "\"Di mana pesananku?\", \"Kapan paket sampai?\", \"Sudah dikirim "
                      "belum?\", atau pelanggan menyebut nomor pesanan (ORD-...). `tracking` "
                      "null berarti belum dikirim. Jika tidak ditemukan, minta pelanggan "
                      "memeriksa nomornya; jangan menebak.")
def order_track(store: Store, payload: TrackInput) -> dict:
    """track_order: the customer's order, its parcel with the carrier's link, its status."""
    order_ref = payload.orderNumber or payload.orderId  # the id works as well as the number
    return track_json(track_order(store, order_ref=order_ref, **_customer(payload)))



@bot_tool("cancel_order", "/order/cancel", input=CancelInput, answer=CancelAnswer,
          errors=REFUSED,
          description="Batalkan pesanan pelanggan. Hanya bisa selama statusnya PENDING, "
                      "CONFIRMED atau PROCESSING (belum dikirim); stok dikembalikan dan "
                      "pelanggan diberi tahu. Kapan digunakan: \"Batalkan pesanan saya\", "
                      "\"Saya ingin membatalkan order ORD-...\". Pastikan dulu nomor pesanan "
                      "dan bahwa pelanggan yakin (tidak bisa diurungkan). Jika ditolak "
                      "(code transition_refused: sudah dikirim, selesai atau dibatalkan), "
                      "sampaikan pesannya dan arahkan pelanggan ke WhatsApp toko di "
                      "`contact`.")
def order_cancel(store: Store, payload: CancelInput) -> dict:
    """cancel_order: the customer's order cancelled while it is not shipped yet."""
    return cancel_json(cancel_order(store, order_ref=payload.orderNumber,
                                    reason=payload.reason, actor=bot_actor(),
                                    **_customer(payload)))


@bot_tool("get_order_summary", "/order/summary", input=SummaryInput, answer=SummaryAnswer,
          description="Ringkasan pesanan pelanggan: jumlah semua pesanan, pesanan yang masih "
                      "berjalan (belum selesai, dibatalkan, ditolak atau dikembalikan), total "
                      "belanja (pesanan selesai dan lunas) dan 5 pesanan terbaru (nomor, "
                      "status, total, tanggal). Kapan digunakan: \"Berapa total pesanan "
                      "saya?\", \"Pesanan apa yang sedang aktif?\", \"Tunjukkan riwayat "
                      "pesanan saya\", atau pelanggan tidak ingat nomor pesanannya.")
def order_summary_tool(store: Store, payload: SummaryInput) -> dict:
    """get_order_summary: the customer's orders counted, their spending, the newest five."""
    return summary_json(order_summary(store, **_customer(payload)))


@bot_tool("verify_payment", "/payment/verify", input=PaymentInput, answer=PaymentAnswer,
          description="Cek status pembayaran sebuah pesanan. Sudah lunas: isPaid true dengan "
                      "metode, jumlah, waktu bayar dan nomor transaksi. Belum: isPaid false "
                      "dan `instructions` berisi langkah membayar sesuai metode pesanan "
                      "(rekening bank atau e-wallet toko, atau yang disiapkan untuk COD), "
                      "atau bahwa bukti bayar sedang diperiksa; sampaikan apa adanya dan "
                      "jangan mengarang nomor rekening. Kapan digunakan: \"Sudah terbayar "
                      "belum?\", \"Bagaimana cara bayar?\", \"Ke rekening mana?\", \"Saya "
                      "sudah transfer, kok belum terverifikasi?\". detailed=true bila "
                      "pelanggan menanyakan rincian tagihan atau sisa yang harus dibayar.")
def payment_verify(store: Store, payload: PaymentInput) -> dict:
    """verify_payment: paid details, or the instructions for the order's payment method."""
    return payment_json(verify_payment(store, order_ref=payload.orderNumber,
                                       **_customer(payload)), detailed=payload.detailed)



@bot_tool("check_inventory", "/inventory/check", input=InventoryInput, answer=InventoryAnswer,
          description="Cek stok produk toko saat ini, satu atau beberapa sekaligus (maks. 20), "
                      "opsional dengan jumlah yang ingin dibeli (canOrder). quantity null "
                      "berarti stok tidak dibatasi (dibuat sesuai pesanan); found false "
                      "berarti kode atau nama itu tidak ada atau produknya sudah tidak dijual. "
                      "Kapan digunakan: \"Apakah kaos ukuran M ada?\", \"Berapa stok "
                      "produk X?\", \"Produk ini masih dijual nggak?\", \"Kalau beli 3 "
                      "bisa?\". Tidak perlu data pelanggan. Jangan menjanjikan stok di luar "
                      "jawaban ini; stok bisa berubah sampai pesanan dibuat.")
def inventory_check(store: Store, payload: InventoryInput) -> dict:
    """check_inventory: each asked product's stock now, and whether a quantity fits."""
    return inventory_json(check_inventory(store, payload.productIds, payload.quantities))


@bot_tool("update_shipping_address", "/order/address", input=AddressInput,
          answer=AddressAnswer, errors=REFUSED,
          description="Ganti alamat pengiriman pesanan pelanggan, hanya sebelum dikirim "
                      "(status PENDING, CONFIRMED atau PROCESSING); perubahan dicatat di "
                      "riwayat pesanan. Kapan digunakan: \"Saya salah tulis alamat\", "
                      "\"Tolong kirim ke alamat kantor saya\", \"Ganti alamat pesanan "
                      "ORD-...\". Minta alamat lengkap (jalan, nomor, kota, kode pos) dan "
                      "konfirmasikan ke pelanggan sebelum memanggil. Jika sudah dikirim "
                      "(code transition_refused), arahkan ke WhatsApp toko di `contact`.")
def order_address(store: Store, payload: AddressInput) -> dict:
    """update_shipping_address: the order's new shipping address, before it is shipped."""
    return address_json(update_shipping_address(
        store, order_ref=payload.orderNumber, address=payload.address, actor=bot_actor(),
        **_customer(payload)))


from . import bot_chat  # noqa: E402, F401  (the chat endpoint lives beside the tools)
