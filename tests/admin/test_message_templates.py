"""Message templates in the back office: every event's text listed, edited by a super admin
(the next message uses it), refused when it names an unknown variable, previewed on a real
order of the admin's stores; other admins read and preview but never save."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import MessageTemplate, Notification, Order
from shop.services import message_templates
from shop.services.money import format_rupiah
from shop.services.orders import transition
from shop.services.shipping import add_shipment
from shop.unit_of_work import commit

from ..messages import text_of
from .backoffice import csrf_enabled, csrf_token, follow, text, to_login
from .html_forms import form_fields

LIST = "/admin/message-templates/"
CONFIRMATION = f"{LIST}order_confirmation/id/"
NEW_OPENING = "Halo {{ customer_name }}, pesanan {{ order_number }} kami terima!"


def edited_rows() -> list[MessageTemplate]:
    db.session.expire_all()
    return list(db.session.scalars(select(MessageTemplate).order_by(MessageTemplate.id)))


def confirmation_of(order_id: str) -> Notification:
    return db.session.scalar(select(Notification).where(
        Notification.order_id == order_id, Notification.template == "order_confirmation",
        Notification.channel == "whatsapp"))


def page_form(client, url: str) -> tuple[str, dict]:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    html = text(page)
    return html, form_fields(html, "template-form").to_dict()


def preview_of(html: str) -> str:
    found = re.search(r'<pre class="message-text" id="preview">(.*?)</pre>', html, re.S)
    assert found, html[:2000]
    return found.group(1)


def test_the_list_shows_every_template_in_both_languages_as_default(login_as):
    boss = login_as("super_admin")

    page = text(boss.get(LIST))

    for key, spec in message_templates.SPECS.items():
        assert f'id="template-{key}"' in page and spec.title in page
    assert page.count("Bawaan") == 2 * (len(message_templates.SPECS) - 1)  # bulk: campaigns
    assert f'href="{LIST}order_status_shipped/en/"' in page


def test_a_template_edit_through_the_page_changes_the_next_message(login_as, make, burger):
    # Given the super admin's edit of the confirmation, posted as the page's form submits it
    boss = login_as("super_admin")
    _html, fields = page_form(boss, CONFIRMATION)
    assert fields["body"].startswith("✅ *Pesanan Berhasil Dibuat!*")
    fields["body"] = NEW_OPENING + "\n" + fields["body"]
    fields["do"] = "save"

    page = follow(boss, boss.post(CONFIRMATION, data=fields))

    # Then it is stored, and the list says so
    assert "Template disimpan" in page
    (row,) = edited_rows()
    assert (row.key, row.locale, row.updated_by) == ("order_confirmation", "id",
                                                     boss.admin.email)
    assert "Diubah" in text(boss.get(LIST))
    # When a shopper orders, the confirmation carries the new text
    placed = make.order(burger, items=[("BRG-CHEESE", 1)], name="Sari Dewi")
    message = text_of(confirmation_of(placed.id))
    assert message.startswith(f"Halo “Sari Dewi”, pesanan {placed.number} kami terima!")
    assert "Pesanan Berhasil Dibuat" in message


def test_an_unknown_variable_is_refused_with_its_name_and_nothing_is_saved(login_as):
    boss = login_as("super_admin")
    _html, fields = page_form(boss, CONFIRMATION)

    fields.update(body="Kupon Anda: {{ kupon }}", do="save")
    refused = boss.post(CONFIRMATION, data=fields)
    fields.update(body="{% if total %}Total {{ total|rupiah }}", do="save")
    broken = boss.post(CONFIRMATION, data=fields)

    assert refused.status_code == 200
    assert "Variabel tidak dikenal: kupon." in text(refused)
    assert "Kupon Anda: {{ kupon }}</textarea>" in text(refused)  # the text is kept to fix
    assert "Template tidak valid" in text(broken)
    assert edited_rows() == []
    assert "Teks bawaan" in text(boss.get(f"{CONFIRMATION}?order=sample"))


def test_the_preview_shows_the_text_for_a_real_order(login_as, make, burger):
    placed = make.order(burger, items=[("BRG-CHEESE", 2), ("FRIES", 1)], name="Rina",
                        notes="Tanpa saus")
    admin = login_as("admin", [burger])

    html, fields = page_form(admin, CONFIRMATION)

    shown = preview_of(html)
    assert f"Nomor Pesanan: #{placed.number}" in shown
    assert f"https://shop.test/track/{placed.id}" in shown
    assert "2x" in shown and "Tanpa saus" in shown
    assert format_rupiah(placed.totals.total) in shown
    assert fields["order"] == placed.id  # the latest order is chosen
    # "Pratinjau" renders the text being written, on that order, and saves nothing
    fields.update(body="Total {{ order_number }}: {{ total|rupiah }}", do="preview")
    answer = admin.post(CONFIRMATION, data=fields)
    assert preview_of(text(answer)) == (f"Total {placed.number}: "
                                        f"{format_rupiah(placed.totals.total)}")
    assert edited_rows() == []


def test_the_shipment_preview_uses_the_orders_parcel(login_as, make, burger):
    placed = make.order(burger, items=[("FRIES", 1)])
    order = db.session.get(Order, placed.id)
    transition(order, "PROCESSING", actor="test", notify=False)
    add_shipment(order, "jne", "JNE0001112223", actor="test")
    commit()
    admin = login_as("admin", [burger])

    shown = preview_of(text(admin.get(f"{LIST}order_status_shipped/en/?order={placed.id}")))

    assert f"Order #{placed.number} is on its way" in shown
    assert "Tracking number: JNE0001112223" in shown


def test_without_an_order_the_preview_uses_the_sample(login_as, make):
    admin = login_as("admin", [make.store("kosong")])

    shown = preview_of(text(admin.get(CONFIRMATION)))

    assert "ORD-20240127-001" in shown and "Burger Ayam" in shown


def test_a_store_admin_reads_and_previews_but_cannot_save_or_reset(login_as, burger):
    admin = login_as("admin", [burger])
    html, fields = page_form(admin, CONFIRMATION)
    assert 'id="save-button"' not in html

    fields.update(body="Diubah diam-diam {{ order_number }}")
    saved = admin.post(CONFIRMATION, data={**fields, "do": "save"})
    reset = admin.post(CONFIRMATION, data={"do": "reset"})
    previewed = admin.post(CONFIRMATION, data={**fields, "do": "preview"})

    assert (saved.status_code, reset.status_code, previewed.status_code) == (403, 403, 200)
    assert edited_rows() == []


def test_reset_goes_back_to_the_default_text(login_as, make, burger):
    boss = login_as("super_admin")
    _html, fields = page_form(boss, f"{LIST}new_order_admin/id/")
    boss.post(f"{LIST}new_order_admin/id/", data={**fields, "body": "Order {{ order_number }}!",
                                                   "do": "save"})
    assert len(edited_rows()) == 1

    page = follow(boss, boss.post(f"{LIST}new_order_admin/id/", data={"do": "reset"}))

    assert "kembali ke teks bawaan" in page and edited_rows() == []
    placed = make.order(burger, items=[("FRIES", 1)])
    alert = db.session.scalar(select(Notification).where(
        Notification.order_id == placed.id, Notification.template == "new_order_admin"))
    assert text_of(alert).startswith("🛒 Order baru di Burger China.")


def test_saving_works_with_csrf_on_and_the_english_text_is_its_own(app, login_as):
    boss = login_as("super_admin")
    url = f"{LIST}order_status_confirmed/en/"
    _html, fields = page_form(boss, url)
    fields.update(body="Confirmed: {{ order_number }}", subject="Order {{ order_number }}",
                  do="save")

    with csrf_enabled(app):
        without = boss.post(url, data={k: v for k, v in fields.items() if k != "csrf_token"})
        fields["csrf_token"] = csrf_token(boss, url)
        saved = boss.post(url, data=fields)

    assert without.status_code == 400 and saved.status_code == 302
    (row,) = edited_rows()
    assert (row.key, row.locale, row.subject) == ("order_status_confirmed", "en",
                                                  "Order {{ order_number }}")
    indonesian = text(boss.get(f"{LIST}order_status_confirmed/id/"))
    assert "Confirmed: {{ order_number }}" not in indonesian


def test_another_stores_order_cannot_be_previewed(login_as, two_stores, make):
    a, b = two_stores
    theirs = make.order(b, items=[("B-1", 1)], name="Rahasia Toko B")
    admin = login_as("admin", [a])

    assert admin.get(f"{CONFIRMATION}?order={theirs.id}").status_code == 404
    page = text(admin.get(CONFIRMATION))
    assert theirs.number not in page and "Rahasia" not in page


def test_unknown_templates_are_404_and_visitors_go_to_login(app, login_as):
    boss = login_as("super_admin")
    assert boss.get(f"{LIST}tidak_ada/id/").status_code == 404
    assert boss.get(f"{LIST}order_confirmation/fr/").status_code == 404
    assert boss.get(f"{LIST}bulk/id/").status_code == 404  # a campaign writes its own text
    assert to_login(app.test_client().get(CONFIRMATION))
    assert db.session.scalar(select(func.count()).select_from(MessageTemplate)) == 0
