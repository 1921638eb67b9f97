"""Message templates: one per event, Indonesian first and English too, rendered in a sandboxed
Jinja environment when a message is sent (DESIGN.md, Notifications).

The texts below are the built-in defaults; a template edited in the back office (a
`MessageTemplate` row of the same key and language) replaces its default. Every key names
the variables it may use: a template that uses any other is refused when it is saved, so a
message never fails to render because of a typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from ..errors import InvalidInput
from .money import format_rupiah
from .phones import local_phone

LOCALES = ("id", "en")
#: WhatsApp refuses longer texts.
MAX_BODY = 4096
#: Values a stranger can type at checkout (or an admin in a note): they arrive in the
#: template flattened to one line, without links, and quoted (see quote_free_text).
FREE_TEXT = frozenset({"customer_name", "name", "address", "notes", "note", "reason"})
_FREE_TEXT_LIMIT = 300
MONEY = frozenset({"subtotal", "discount", "shipping_fee", "total"})
_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_QUOTES = re.compile(r"[\"\u201c\u201d\u201e\u00ab\u00bb]")
#: WhatsApp's bold, strike and monospace markers: a stranger's text may not restyle a message.
_FORMATTING = re.compile(r"[*~`]")
#: A dot between letters or digits ("evil.com", "bit.ly"): WhatsApp turns such words into
#: links. It becomes a one-dot leader, which reads the same and links nowhere.
_LINK_DOT = re.compile(r"(?<=[^\W_])\.(?=[^\W_])")


def quote_free_text(value) -> str:
    """A stranger's text made safe to carry inside the store's message: one line, no
    control characters, no formatting, no link, at most 300 characters, in quotes."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    text = _FORMATTING.sub("", _QUOTES.sub("'", text))
    text = _LINK_DOT.sub("\u2024", text).replace("://", ": //")
    if len(text) > _FREE_TEXT_LIMIT:
        text = text[: _FREE_TEXT_LIMIT - 1].rstrip() + "…"
    return f"\u201c{text}\u201d"


def _rupiah(value) -> str:
    try:
        return format_rupiah(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _phone(value) -> str:
    return local_phone(str(value)) if value else ""


ENV = SandboxedEnvironment(
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False,
    keep_trailing_newline=False,
)
ENV.filters.update(rupiah=_rupiah, phone=_phone)
_COMPILED: dict[str, object] = {}


def compiled(source: str):
    """The template compiled from `source`, kept (texts change rarely, are sent often)."""
    template = _COMPILED.get(source)
    if template is None:
        if len(_COMPILED) > 512:
            _COMPILED.clear()
        template = _COMPILED[source] = ENV.from_string(source)
    return template


@dataclass(frozen=True)
class Spec:
    """What one event's message may say: its variables (with a description the editor shows),
    sample values for the preview and the save check, and the default texts."""

    title: str
    variables: dict[str, str]
    sample: dict
    #: locale -> (email subject, body)
    defaults: dict[str, tuple[str, str]]
    #: Who receives it: "customer", "admin" or "shop" (a dealer shop).
    audience: str = "customer"
    #: Templates about one order also get order_number, order_id and tracking_url.
    about_order: bool = True
    extra: dict = field(default_factory=dict)


ORDER_VARIABLES = {
    "order_number": "Nomor pesanan (ORD-...)",
    "order_id": "ID pesanan",
    "tracking_url": "Tautan lacak pesanan",
    "store_name": "Nama toko",
}
_SAMPLE_ORDER = {
    "order_number": "ORD-20240127-001", "order_id": "clrx1a2b3c4d5e6f7g8h9i0j1k",
    "tracking_url": "https://toko.example/track/clrx1a2b3c4d5e6f7g8h9i0j1k",
    "store_name": "Burger China",
}

_CONFIRMATION_ID = """\
✅ *Pesanan Berhasil Dibuat!*

Nomor Pesanan: #{{ order_number }}
Order ID: {{ order_id }}

Track pesanan Anda di:
{{ tracking_url }}

---

*Detail Pesanan:*
{% for item in items %}
{{ item.qty }}x {{ item.name }} - {{ item.subtotal|rupiah }}
{% endfor %}

{% if discount or shipping_fee %}
Subtotal: {{ subtotal|rupiah }}
{% if discount %}
Diskon: -{{ discount|rupiah }}
{% endif %}
{% if shipping_fee %}
Ongkos Kirim: {{ shipping_fee|rupiah }}
{% endif %}
{% endif %}
*Total:* {{ total|rupiah }}

*Informasi Pengiriman:*
Nama: {{ customer_name }}
No. WhatsApp: {{ customer_phone|phone }}
{% if address %}
Alamat: {{ address }}
{% endif %}
{% if courier %}
Kurir: {{ courier }}{{ " (ongkir dikonfirmasi admin)" if shipping_pending else "" }}
{% endif %}
{% if payment_method %}

*Pembayaran:* {{ payment_method }}
{% endif %}
{% if payment_instructions %}
{{ payment_instructions }}
{% endif %}
{% if notes %}

Catatan: {{ notes }}
{% endif %}

---

Terima kasih sudah berbelanja! 🙏"""

_CONFIRMATION_EN = """\
✅ *Order placed!*

Order number: #{{ order_number }}
Order ID: {{ order_id }}

Track your order at:
{{ tracking_url }}

---

*Order details:*
{% for item in items %}
{{ item.qty }}x {{ item.name }} - {{ item.subtotal|rupiah }}
{% endfor %}

{% if discount or shipping_fee %}
Subtotal: {{ subtotal|rupiah }}
{% if discount %}
Discount: -{{ discount|rupiah }}
{% endif %}
{% if shipping_fee %}
Shipping: {{ shipping_fee|rupiah }}
{% endif %}
{% endif %}
*Total:* {{ total|rupiah }}

*Delivery:*
Name: {{ customer_name }}
WhatsApp: {{ customer_phone|phone }}
{% if address %}
Address: {{ address }}
{% endif %}
{% if courier %}
Courier: {{ courier }}{{ " (shipping fee to be confirmed)" if shipping_pending else "" }}
{% endif %}
{% if payment_method %}

*Payment:* {{ payment_method }}
{% endif %}
{% if payment_instructions %}
{{ payment_instructions }}
{% endif %}
{% if notes %}

Note: {{ notes }}
{% endif %}

---

Thank you for your order! 🙏"""

_CONFIRMATION_SAMPLE = {
    **_SAMPLE_ORDER,
    "items": [{"qty": 2, "name": "Burger Ayam", "subtotal": "50000.00"},
              {"qty": 1, "name": "Es Teh", "subtotal": "15000.00"}],
    "subtotal": "65000.00", "discount": "0.00", "shipping_fee": "0.00", "total": "65000.00",
    "customer_name": "Budi Santoso", "customer_phone": "6281234567890",
    "address": "Jl. Merdeka No. 1, Jakarta", "courier": "GoSend", "shipping_pending": False,
    "payment_method": "Transfer Bank", "notes": "Tanpa sambal",
    "payment_instructions": "Transfer tepat Rp 65.123 (termasuk kode unik 123) ke:\n"
                            "- BCA 1234567890 a.n. Burger China\n"
                            "Cantumkan nomor pesanan #ORD-20240127-001 di berita transfer.",
}


def _status_spec(title: str, id_head: str, en_head: str, extra_vars=None, extra_sample=None,
                 id_extra: str = "", en_extra: str = "") -> Spec:
    """A customer's message about a change of their order (status or payment)."""
    variables = {**ORDER_VARIABLES, "status_label": "Status baru",
                 "note": "Catatan admin (boleh kosong)", **(extra_vars or {})}
    body = ("{head}\nStatus: *{{{{ status_label }}}}*\n{extra}{{% if note %}}\n"
            "{note}: {{{{ note }}}}\n{{% endif %}}\n\n{track}: {{{{ tracking_url }}}}")
    id_body = body.format(head=id_head, extra=id_extra, note="Catatan", track="Lacak pesanan")
    en_body = body.format(head=en_head, extra=en_extra, note="Note", track="Track your order")
    return Spec(
        title=title, variables=variables,
        sample={**_SAMPLE_ORDER, "status_label": "Dikonfirmasi", "note": "",
                **(extra_sample or {})},
        defaults={"id": (f"{id_head.strip('📦💳🚚 ')}", id_body),
                  "en": (f"{en_head.strip('📦💳🚚 ')}", en_body)},
    )


_STATUS_TITLES = {
    # status: (title, Indonesian head, English head)
    "CONFIRMED": ("Pesanan dikonfirmasi", "📦 Pesanan #{{ order_number }} dikonfirmasi",
                  "📦 Order #{{ order_number }} confirmed"),
    "PROCESSING": ("Pesanan diproses", "📦 Pesanan #{{ order_number }} sedang diproses",
                   "📦 Order #{{ order_number }} is being prepared"),
    "SHIPPED": ("Pesanan dikirim", "🚚 Pesanan #{{ order_number }} sedang dikirim",
                "🚚 Order #{{ order_number }} is on its way"),
    "DELIVERED": ("Pesanan sampai", "📦 Pesanan #{{ order_number }} sudah sampai",
                  "📦 Order #{{ order_number }} was delivered"),
    "COMPLETED": ("Pesanan selesai", "📦 Pesanan #{{ order_number }} selesai",
                  "📦 Order #{{ order_number }} is complete"),
    "CANCELLED": ("Pesanan dibatalkan", "📦 Pesanan #{{ order_number }} dibatalkan",
                  "📦 Order #{{ order_number }} was cancelled"),
    "REJECTED": ("Pesanan ditolak", "📦 Pesanan #{{ order_number }} ditolak",
                 "📦 Order #{{ order_number }} was declined"),
    "REFUNDED": ("Pesanan dikembalikan dananya",
                 "📦 Pesanan #{{ order_number }}: dana dikembalikan",
                 "📦 Order #{{ order_number }}: refunded"),
}
_PAYMENT_TITLES = {
    "PAID": ("payment_received", "Pembayaran diterima",
             "💳 Pembayaran pesanan #{{ order_number }} diterima",
             "💳 Payment for order #{{ order_number }} received"),
    "FAILED": ("payment_failed", "Pembayaran gagal",
               "💳 Pembayaran pesanan #{{ order_number }} gagal",
               "💳 Payment for order #{{ order_number }} failed"),
    "REFUNDED": ("payment_refunded", "Pembayaran dikembalikan",
                 "💳 Pembayaran pesanan #{{ order_number }} dikembalikan",
                 "💳 Payment for order #{{ order_number }} refunded"),
    "PENDING": ("payment_pending", "Menunggu pembayaran",
                "💳 Pesanan #{{ order_number }} menunggu pembayaran",
                "💳 Order #{{ order_number }} is waiting for payment"),
}


def status_template(status: str) -> str:
    """The template key of the customer's message when the order moves to `status`."""
    return f"order_status_{status.lower()}"


def payment_template(payment_status: str) -> str | None:
    """The template key of the customer's message for a payment change (None: no message)."""
    entry = _PAYMENT_TITLES.get(payment_status)
    return entry[0] if entry else None


SPECS: dict[str, Spec] = {
    "order_confirmation": Spec(
        title="Pesanan dibuat (ke pelanggan)",
        variables={
            **ORDER_VARIABLES,
            "items": "Daftar item: item.qty, item.name, item.subtotal",
            "subtotal": "Subtotal", "discount": "Diskon", "shipping_fee": "Ongkos kirim",
            "shipping_pending": "Ongkos kirim masih dikonfirmasi admin (ya/tidak)",
            "total": "Total", "customer_name": "Nama pemesan", "customer_phone": "No. WhatsApp",
            "address": "Alamat", "courier": "Kurir", "payment_method": "Metode pembayaran",
            "payment_instructions": "Cara membayar: jumlah tepat (dengan kode unik) dan "
                                    "rekening, e-wallet, QRIS atau COD",
            "notes": "Catatan pemesan",
        },
        sample=_CONFIRMATION_SAMPLE,
        defaults={"id": ("Pesanan #{{ order_number }} di {{ store_name }}", _CONFIRMATION_ID),
                  "en": ("Order #{{ order_number }} at {{ store_name }}", _CONFIRMATION_EN)},
    ),
    "new_order_admin": Spec(
        title="Pesanan baru (ke admin toko)", audience="admin",
        variables={**ORDER_VARIABLES, "customer_name": "Nama pemesan",
                   "customer_phone": "No. WhatsApp pemesan", "total": "Total",
                   "item_count": "Jumlah item", "admin_url": "Tautan panel admin"},
        sample={**_SAMPLE_ORDER, "customer_name": "Budi Santoso",
                "customer_phone": "6281234567890", "total": "65000.00", "item_count": 3,
                "admin_url": "https://toko.example/admin/"},
        defaults={
            "id": ("Order baru {{ order_number }}", """\
🛒 Order baru di {{ store_name }}.
Order: {{ order_number }}
Pelanggan: {{ customer_name }} ({{ customer_phone|phone }})
Item: {{ item_count }}
Total: {{ total|rupiah }}
Silakan cek admin panel: {{ admin_url }}"""),
            "en": ("New order {{ order_number }}", """\
🛒 New order at {{ store_name }}.
Order: {{ order_number }}
Customer: {{ customer_name }} ({{ customer_phone|phone }})
Items: {{ item_count }}
Total: {{ total|rupiah }}
Open the admin panel: {{ admin_url }}"""),
        },
    ),
    "proof_submitted_admin": Spec(
        title="Bukti transfer masuk (ke admin toko)", audience="admin",
        variables={**ORDER_VARIABLES, "total": "Total", "admin_url": "Tautan panel admin"},
        sample={**_SAMPLE_ORDER, "total": "65000.00",
                "admin_url": "https://toko.example/admin/"},
        defaults={
            "id": ("Bukti transfer {{ order_number }}", """\
💳 Bukti transfer masuk di {{ store_name }}.
Order: {{ order_number }}
Total: {{ total|rupiah }}
Silakan periksa: {{ admin_url }}"""),
            "en": ("Transfer proof {{ order_number }}", """\
💳 A transfer proof arrived at {{ store_name }}.
Order: {{ order_number }}
Total: {{ total|rupiah }}
Please check: {{ admin_url }}"""),
        },
    ),
    "shipping_fee_set": Spec(
        title="Ongkos kirim dikonfirmasi (ke pelanggan)",
        variables={**ORDER_VARIABLES, "courier": "Kurir", "shipping_fee": "Ongkos kirim",
                   "total": "Total yang harus dibayar",
                   "payment_instructions": "Cara membayar: jumlah tepat (dengan kode unik) "
                                           "dan rekening, e-wallet, QRIS atau COD"},
        sample={**_SAMPLE_ORDER, "courier": "JNE Regular", "shipping_fee": "15000.00",
                "total": "80000.00",
                "payment_instructions": "Transfer tepat Rp 80.123 (termasuk kode unik 123) "
                                        "ke:\n- BCA 1234567890 a.n. Burger China"},
        defaults={
            "id": ("Ongkos kirim pesanan #{{ order_number }}", """\
🚚 Ongkos kirim pesanan #{{ order_number }} di {{ store_name }} sudah dikonfirmasi.
{% if courier %}Kurir: {{ courier }}
{% endif %}Ongkos kirim: {{ shipping_fee|rupiah }}
*Total yang harus dibayar: {{ total|rupiah }}*
{% if payment_instructions %}

{{ payment_instructions }}
{% endif %}

Lihat pesanan dan cara bayar: {{ tracking_url }}"""),
            "en": ("Shipping fee for order #{{ order_number }}", """\
🚚 The shipping fee for order #{{ order_number }} at {{ store_name }} is confirmed.
{% if courier %}Courier: {{ courier }}
{% endif %}Shipping: {{ shipping_fee|rupiah }}
*Amount to pay: {{ total|rupiah }}*
{% if payment_instructions %}

{{ payment_instructions }}
{% endif %}

Your order and how to pay: {{ tracking_url }}"""),
        },
    ),
    "invoice": Spec(
        title="Invoice pesanan (ke pelanggan)",
        variables={**ORDER_VARIABLES, "invoice_number": "Nomor invoice (INV-...)",
                   "invoice_url": "Tautan unduh invoice (PDF)",
                   "total": "Jumlah tagihan"},
        sample={**_SAMPLE_ORDER, "invoice_number": "INV-20240127-001",
                "invoice_url": "https://toko.example/track/clrx1a2b3c4d5e6f7g8h9i0j1k/"
                               "invoice.pdf", "total": "65123.00"},
        defaults={
            "id": ("Invoice {{ invoice_number }} dari {{ store_name }}", """\
🧾 Invoice {{ invoice_number }} untuk pesanan #{{ order_number }} di {{ store_name }}.
Jumlah: {{ total|rupiah }}

Unduh invoice (PDF): {{ invoice_url }}
Lihat pesanan: {{ tracking_url }}"""),
            "en": ("Invoice {{ invoice_number }} from {{ store_name }}", """\
🧾 Invoice {{ invoice_number }} for order #{{ order_number }} at {{ store_name }}.
Amount: {{ total|rupiah }}

Download the invoice (PDF): {{ invoice_url }}
Your order: {{ tracking_url }}"""),
        },
    ),
    "proof_rejected": Spec(
        title="Bukti transfer ditolak (ke pelanggan)",
        variables={**ORDER_VARIABLES, "reason": "Alasan penolakan", "total": "Total"},
        sample={**_SAMPLE_ORDER, "reason": "Nominal tidak sesuai", "total": "65000.00"},
        defaults={
            "id": ("Bukti transfer ditolak", """\
💳 Bukti transfer pesanan #{{ order_number }} belum bisa kami terima.
Alasan: {{ reason }}
Total yang harus dibayar: {{ total|rupiah }}

Silakan kirim bukti yang benar di: {{ tracking_url }}"""),
            "en": ("Transfer proof declined", """\
💳 We could not accept the transfer proof for order #{{ order_number }}.
Reason: {{ reason }}
Amount due: {{ total|rupiah }}

Please send the right proof at: {{ tracking_url }}"""),
        },
    ),
    "change_request_admin": Spec(
        title="Permintaan perubahan dari halaman lacak (ke admin toko)", audience="admin",
        variables={**ORDER_VARIABLES, "customer_name": "Nama pemesan",
                   "topic": "Yang ingin diubah", "note": "Pesan pelanggan",
                   "admin_url": "Tautan panel admin"},
        sample={**_SAMPLE_ORDER, "customer_name": "Budi Santoso", "topic": "Alamat",
                "note": "Tolong kirim ke kantor: Jl. Thamrin 5",
                "admin_url": "https://toko.example/admin/"},
        defaults={
            "id": ("Permintaan perubahan {{ order_number }}", """\
✏️ Permintaan perubahan di {{ store_name }}.
Order: {{ order_number }}
Pelanggan: {{ customer_name }}
Tentang: {{ topic }}
Pesan: {{ note }}
Silakan jawab di panel admin: {{ admin_url }}"""),
            "en": ("Change request {{ order_number }}", """\
✏️ A change request at {{ store_name }}.
Order: {{ order_number }}
Customer: {{ customer_name }}
About: {{ topic }}
Message: {{ note }}
Please answer in the admin panel: {{ admin_url }}"""),
        },
    ),
    "change_request_answer": Spec(
        title="Jawaban permintaan perubahan (ke pelanggan)",
        variables={**ORDER_VARIABLES, "note": "Jawaban admin"},
        sample={**_SAMPLE_ORDER, "note": "Baik, alamat sudah kami ganti."},
        defaults={
            "id": ("Jawaban permintaan Anda", """\
✏️ Jawaban {{ store_name }} untuk permintaan Anda pada pesanan #{{ order_number }}:
{{ note }}

Lihat pesanan Anda di: {{ tracking_url }}"""),
            "en": ("The answer to your request", """\
✏️ {{ store_name }}'s answer to your request on order #{{ order_number }}:
{{ note }}

See your order at: {{ tracking_url }}"""),
        },
    ),
    "order_cancelled_by_customer_admin": Spec(
        title="Pesanan dibatalkan pelanggan (ke admin toko)", audience="admin",
        variables={**ORDER_VARIABLES, "customer_name": "Nama pemesan", "total": "Total",
                   "reason": "Alasan (boleh kosong)", "admin_url": "Tautan panel admin"},
        sample={**_SAMPLE_ORDER, "customer_name": "Budi Santoso", "total": "65000.00",
                "reason": "Salah pilih menu", "admin_url": "https://toko.example/admin/"},
        defaults={
            "id": ("Pesanan {{ order_number }} dibatalkan pelanggan", """\
❌ Pesanan dibatalkan pelanggan di {{ store_name }}.
Order: {{ order_number }}
Pelanggan: {{ customer_name }}
Total: {{ total|rupiah }}
{% if reason %}
Alasan: {{ reason }}
{% endif %}
Stok sudah dikembalikan. Detail: {{ admin_url }}"""),
            "en": ("Order {{ order_number }} cancelled by the customer", """\
❌ An order was cancelled by the customer at {{ store_name }}.
Order: {{ order_number }}
Customer: {{ customer_name }}
Total: {{ total|rupiah }}
{% if reason %}
Reason: {{ reason }}
{% endif %}
The stock is back. Details: {{ admin_url }}"""),
        },
    ),
    "otp": Spec(
        title="Kode OTP (ke toko dealer)", audience="shop", about_order=False,
        variables={"code": "Kode 6 angka", "minutes": "Berlaku (menit)",
                   "store_name": "Nama distributor"},
        sample={"code": "123456", "minutes": 5, "store_name": "PMO"},
        defaults={
            "id": ("Kode masuk {{ store_name }}", """\
🔐 Kode masuk {{ store_name }}: *{{ code }}*
Berlaku {{ minutes }} menit. Jangan berikan kode ini kepada siapa pun."""),
            "en": ("Your {{ store_name }} sign-in code", """\
🔐 Your {{ store_name }} sign-in code: *{{ code }}*
Valid for {{ minutes }} minutes. Never share this code with anyone."""),
        },
    ),
    "b2b_order_created": Spec(
        title="Order B2B baru (ke admin)", audience="admin",
        variables={**ORDER_VARIABLES, "shop_name": "Nama toko dealer", "total": "Total",
                   "item_count": "Jumlah item", "admin_url": "Tautan panel admin"},
        sample={**_SAMPLE_ORDER, "order_number": "ORD-2024-000001", "shop_name": "Toko Maju",
                "total": "1250000.00", "item_count": 12,
                "admin_url": "https://toko.example/admin/"},
        defaults={
            "id": ("Order B2B baru {{ order_number }}", """\
🛒 Order baru dari {{ shop_name }}.
Order: {{ order_number }}
Item: {{ item_count }}
Total: {{ total|rupiah }}
Silakan cek admin panel: {{ admin_url }}"""),
            "en": ("New B2B order {{ order_number }}", """\
🛒 New order from {{ shop_name }}.
Order: {{ order_number }}
Items: {{ item_count }}
Total: {{ total|rupiah }}
Open the admin panel: {{ admin_url }}"""),
        },
    ),
    "b2b_order_approved": Spec(
        title="Order B2B disetujui (ke toko dealer)", audience="shop",
        variables={**ORDER_VARIABLES, "shop_name": "Nama toko dealer",
                   "so_number": "Nomor SO"},
        sample={**_SAMPLE_ORDER, "order_number": "ORD-2024-000001", "shop_name": "Toko Maju",
                "so_number": "2024/000123/POD-PD"},
        defaults={
            "id": ("Order {{ order_number }} disetujui", """\
✅ Order {{ order_number }} disetujui.
Nomor SO: {{ so_number }}
Terima kasih, {{ shop_name }}."""),
            "en": ("Order {{ order_number }} approved", """\
✅ Order {{ order_number }} was approved.
SO number: {{ so_number }}
Thank you, {{ shop_name }}."""),
        },
    ),
    "b2b_order_rejected": Spec(
        title="Order B2B ditolak (ke toko dealer)", audience="shop",
        variables={**ORDER_VARIABLES, "shop_name": "Nama toko dealer",
                   "reason": "Alasan penolakan"},
        sample={**_SAMPLE_ORDER, "order_number": "ORD-2024-000001", "shop_name": "Toko Maju",
                "reason": "Stok habis"},
        defaults={
            "id": ("Order {{ order_number }} ditolak", """\
❌ Order {{ order_number }} ditolak.
Alasan: {{ reason }}"""),
            "en": ("Order {{ order_number }} declined", """\
❌ Order {{ order_number }} was declined.
Reason: {{ reason }}"""),
        },
    ),
    "bulk": Spec(
        title="Pesan massal (ke pelanggan)", about_order=False,
        variables={"name": "Nama pelanggan", "store_name": "Nama toko"},
        sample={"name": "Budi Santoso", "store_name": "Burger China"},
        defaults={"id": ("Pesan dari {{ store_name }}", "{{ body }}"),
                  "en": ("A message from {{ store_name }}", "{{ body }}")},
    ),
    "chat_reply": Spec(
        title="Balasan perintah WhatsApp (!katalog ...)", about_order=False,
        variables={"body": "Teks balasan perintah"},
        sample={"body": "📋 Katalog Burger China"},
        defaults={"id": ("Balasan", "{{ body }}"), "en": ("Reply", "{{ body }}")},
    ),
}
for _status, (_title, _id_head, _en_head) in _STATUS_TITLES.items():
    if _status == "SHIPPED":
        SPECS[status_template(_status)] = _status_spec(
            _title, _id_head, _en_head,
            extra_vars={"carrier": "Kurir (boleh kosong)", "tracking_number": "No. resi",
                        "tracking_link": "Tautan lacak kurir (boleh kosong)"},
            extra_sample={"status_label": "Sedang Dikirim", "carrier": "JNE",
                          "tracking_number": "JNE123456789",
                          "tracking_link": "https://www.jne.co.id/tracking-package?awb=JNE1"},
            id_extra="{% if carrier %}\nKurir: {{ carrier }}\nNo. resi: {{ tracking_number }}\n"
                     "{% if tracking_link %}\nLacak paket: {{ tracking_link }}\n{% endif %}"
                     "{% endif %}\n",
            en_extra="{% if carrier %}\nCourier: {{ carrier }}\nTracking number: "
                     "{{ tracking_number }}\n{% if tracking_link %}\nTrack the parcel: "
                     "{{ tracking_link }}\n{% endif %}{% endif %}\n",
        )
    else:
        SPECS[status_template(_status)] = _status_spec(_title, _id_head, _en_head)
for _key, _title, _id_head, _en_head in _PAYMENT_TITLES.values():
    SPECS[_key] = _status_spec(_title, _id_head, _en_head)
#: The bulk message's body is the admin's own text (the campaign), rendered with these names.
BULK_VARIABLES = SPECS["bulk"].variables


def spec(key: str) -> Spec:
    """The spec of a template key. Raises InvalidInput for an unknown key."""
    found = SPECS.get(key)
    if found is None:
        raise InvalidInput(f"Template tidak dikenal: {key}.")
    return found


def check_template(key: str, body: str, subject: str | None = None,
                   variables: dict[str, str] | None = None, sample: dict | None = None) -> None:
    """Refuse a text that would not render: bad syntax, a variable the key does not offer,
    an error on the sample values, or a body longer than WhatsApp takes. Raises InvalidInput."""
    found = spec(key) if variables is None else None
    allowed = variables if variables is not None else found.variables
    values = sample if sample is not None else found.sample
    for name, source in (("body", body), ("subject", subject or "")):
        if name == "body" and not source.strip():
            raise InvalidInput("Isi pesan wajib diisi.", fields={"body": "Wajib diisi."})
        try:
            parsed = ENV.parse(source)
        except TemplateError as error:
            line = getattr(error, "lineno", None)
            where = f" (baris {line})" if line else ""
            raise InvalidInput(f"Template tidak valid{where}: {error.message}",
                               fields={name: f"Template tidak valid{where}."}) from None
        unknown = sorted(meta.find_undeclared_variables(parsed) - set(allowed))
        if unknown:
            names = ", ".join(unknown)
            raise InvalidInput(
                f"Variabel tidak dikenal: {names}. Yang tersedia: {', '.join(allowed)}.",
                fields={name: f"Variabel tidak dikenal: {names}."})
        try:
            text = compiled(source).render(**_prepared(values))
        except (TemplateError, TypeError, ValueError, ArithmeticError) as error:
            raise InvalidInput(f"Template gagal dibuat dengan data contoh: {error}",
                               fields={name: "Gagal dengan data contoh."}) from None
        if name == "body" and len(text) > MAX_BODY:
            raise InvalidInput(f"Pesan terlalu panjang ({len(text)} karakter, maks {MAX_BODY}).",
                               fields={"body": f"Maksimal {MAX_BODY} karakter."})


def _prepared(values: dict) -> dict:
    """The values as a template sees them: free text flattened and quoted, amounts (kept as
    strings in JSON) as Decimal again, so that `{% if discount %}` is false for zero."""
    prepared = {}
    for name, value in values.items():
        if name in FREE_TEXT and value:
            value = quote_free_text(value)
        elif name in MONEY and value is not None:
            value = _decimal(value)
        elif name == "items" and isinstance(value, list):
            value = [{**item, "subtotal": _decimal(item.get("subtotal"))}
                     if isinstance(item, dict) else item for item in value]
        prepared[name] = value
    return prepared


def _decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value


def render(source: str, values: dict) -> str:
    """Render a template text with these values (free text made safe first)."""
    return compiled(source).render(**_prepared(values)).strip()
