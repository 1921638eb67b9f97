"""The bulk-message pages (issue 11, item 8): pick customers by filter or in the customer
list, write the message, see how many receive it and the first one's text, send, and follow
the campaign's progress. No Redis here: the first recipient goes out at the commit through
the log provider, the rest wait for their time."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Campaign, CustomerStatus, MembershipLevel, Notification

from .backoffice import csrf_enabled, follow, text
from .html_forms import form_fields

NEW = "/admin/bulk/new/"


@pytest.fixture
def shop_a(make, two_stores):
    """Store A with two Gold customers, a Bronze one, a blocked Gold one; store B's Gold."""
    a, b = two_stores
    people = {
        "ani": make.customer(a, "6281200000001", name="Ani <b>Gold</b>",
                             membership_level=MembershipLevel.GOLD,
                             total_spent=Decimal("500000")),
        "eka": make.customer(a, "6281200000002", name="Eka",
                             membership_level=MembershipLevel.GOLD),
        "budi": make.customer(a, "6281200000003", name="Budi"),
        "blocked": make.customer(a, "6281200000004", name="Diblokir",
                                 membership_level=MembershipLevel.GOLD,
                                 status=CustomerStatus.BLOCKED),
        "rahasia": make.customer(b, "6281200000005", name="Rahasia Toko B",
                                 membership_level=MembershipLevel.GOLD),
    }
    return a, b, people


def outbox() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def campaigns() -> int:
    return db.session.scalar(select(func.count()).select_from(Campaign))


def counted(page: str) -> int:
    return int(re.search(r'id="recipient-count">(\d+)<', page).group(1))


def compose(admin, **values) -> str:
    """Count and preview (POST step=preview); the page shown."""
    answer = admin.post(NEW, data={"step": "preview", "title": "Promo Gold",
                                   "body": "Halo {{ name }}! Diskon di {{ store_name }}.",
                                   **values})
    assert answer.status_code == 200
    return text(answer)


def send(admin, page: str, **changes):
    """Post the previewed form back with its send button, as the browser would."""
    data = form_fields(page, "compose-form")
    data["step"] = "send"
    for name, value in changes.items():
        data[name] = value
    return admin.post(NEW, data=data)


def test_the_compose_page_offers_filters_variables_and_only_own_stores(login_as, shop_a):
    a, _b, _people = shop_a
    page = text(login_as("admin", [a]).get(NEW))
    assert "{{ name }}" in page and "{{ store_name }}" in page
    english = text(login_as("admin", [a]).get(NEW + "?lang=en"))
    assert "Count recipients" in english and "Hitung penerima" not in english
    for field in ("membership_level", "type", "city", "last_order_from", "min_spent"):
        assert f'name="{field}"' in page
    assert "Toko A" in page and "Toko B" not in page
    assert 'value="30"' in page  # BULK_RATE_PER_MINUTE
    assert 'id="send-button"' not in page  # nothing is sent before it is counted


def test_counting_shows_how_many_receive_and_the_first_ones_text(login_as, shop_a):
    a, _b, _people = shop_a
    page = compose(login_as("admin", [a]), membership_level="Gold")

    assert counted(page) == 2  # Ani and Eka; not the blocked one, not store B's
    preview = re.search(r'<pre[^>]*id="preview">(.*?)</pre>', page, re.S).group(1)
    assert preview == ("Halo \u201cAni &lt;b&gt;Gold&lt;/b&gt;\u201d! Diskon di Toko A.")
    assert "Kirim ke 2 penerima" in page and "Rahasia" not in page and "Diblokir" not in page
    assert "sekitar 2 detik setelah yang pertama" in page  # 30 a minute
    assert outbox() == [] and campaigns() == 0


def test_sending_writes_the_rows_counted_and_the_page_shows_the_progress(login_as, shop_a):
    a, _b, people = shop_a
    admin = login_as("admin", [a])
    page = compose(admin, membership_level="Gold", rate_per_minute="20")

    answer = send(admin, page)

    assert answer.status_code == 302
    rows = outbox()
    assert len(rows) == counted(page) == 2
    assert [r.recipient for r in rows] == [people["ani"].phone, people["eka"].phone]
    gap = (rows[1].next_attempt_at - rows[0].next_attempt_at).total_seconds()
    assert gap == pytest.approx(3.0)  # 20 a minute
    # No Redis: the first recipient went out at the commit, the second waits its 3 s.
    assert [r.status.value for r in rows] == ["sent", "queued"]
    assert rows[0].body == "Halo \u201cAni <b>Gold</b>\u201d! Diskon di Toko A."
    progress = follow(admin, answer)
    assert 'id="count-sent">1<' in progress and 'id="count-queued">1<' in progress
    assert 'id="count-total">2<' in progress and "Sedang berjalan" in progress
    assert 'class="progress-bar bg-success" style="width: 50.0%"' in progress
    assert 'http-equiv="refresh"' in progress and "<script>" not in progress
    listing = text(admin.get("/admin/bulk/"))
    assert "Promo Gold" in listing and 'class="count-sent">1<' in listing


def test_a_form_changed_after_counting_is_counted_again_not_sent(login_as, shop_a):
    a, _b, _people = shop_a
    admin = login_as("admin", [a])
    page = compose(admin, membership_level="Gold")

    again = send(admin, page, membership_level="")  # now everyone: 3, not the 2 shown

    assert again.status_code == 200 and counted(text(again)) == 3
    assert "Isian berubah sejak dihitung" in text(again)
    assert outbox() == [] and campaigns() == 0


def test_an_unknown_variable_is_refused_and_nothing_is_written(login_as, shop_a):
    a, _b, _people = shop_a
    admin = login_as("admin", [a])
    page = compose(admin, body="Halo {{ nama }}")
    assert "Variabel tidak dikenal: nama" in page and 'id="send-button"' not in page

    answer = send(admin, page)
    assert answer.status_code == 200 and "Variabel tidak dikenal" in text(answer)
    assert outbox() == [] and campaigns() == 0


@pytest.mark.parametrize(("values", "refusal"), [
    ({"rate_per_minute": "601"}, "1 sampai 600 pesan per menit"),
    ({"rate_per_minute": "0"}, "1 sampai 600 pesan per menit"),
    ({"title": " "}, "Judul wajib diisi"),
    ({"body": ""}, "Isi pesan wajib diisi"),
    ({"min_spent": "banyak"}, "Jumlah tidak valid"),
])
def test_a_bad_form_is_refused_with_its_reason(login_as, shop_a, values, refusal):
    a, _b, _people = shop_a
    page = compose(login_as("admin", [a]), **values)
    assert refusal in page and 'id="send-button"' not in page


def test_customers_selected_in_the_list_are_carried_to_the_compose_page(login_as, shop_a):
    a, _b, people = shop_a
    admin = login_as("admin", [a])
    picked = [people[n].id for n in ("ani", "budi", "blocked", "rahasia")]
    assert "Kirim pesan massal" in text(admin.get("/admin/customer/"))  # the list's action

    answer = admin.post("/admin/customer/action/", data={
        "action": "bulk_message", "rowid": [str(i) for i in picked]})

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(NEW) and f"store_id={a.id}" in location
    assert str(people["rahasia"].id) not in re.findall(r"customer=(\d+)", location)
    page = follow(admin, answer)
    assert "3 pelanggan dipilih" in page  # B's customer is not the admin's to pick
    shown = compose(admin, store_id=str(a.id),
                    customer=[str(i) for i in picked])  # a guessed id of B's, too
    assert counted(shown) == 2  # Ani and Budi: the blocked one never receives
    assert send(admin, shown).status_code == 302
    assert {r.recipient for r in outbox()} == {people["ani"].phone, people["budi"].phone}
    assert db.session.scalar(select(Campaign.audience)) == "Pilihan: 4 pelanggan"


def test_other_stores_campaigns_stay_hidden(login_as, shop_a):
    a, b, _people = shop_a
    theirs = login_as("admin", [b])
    assert send(theirs, compose(theirs, title="Rahasia B")).status_code == 302
    campaign_id = db.session.scalar(select(Campaign.id))

    mine = login_as("admin", [a])
    assert mine.get(f"/admin/bulk/{campaign_id}/").status_code == 404
    assert "Rahasia" not in text(mine.get("/admin/bulk/"))
    refused = compose(mine, store_id=str(b.id))
    assert "Toko tidak ditemukan" in refused and 'id="send-button"' not in refused
    assert theirs.get(f"/admin/bulk/{campaign_id}/").status_code == 200


def test_sending_needs_the_pages_csrf_token(app, login_as, shop_a):
    a, _b, _people = shop_a
    admin = login_as("admin", [a])
    with csrf_enabled(app):
        page = compose_with_token(admin)
        assert admin.post(NEW, data={"step": "send", "title": "x", "body": "y"}
                          ).status_code == 400
        assert outbox() == []
        assert send(admin, page).status_code == 302
    assert len(outbox()) == 3


def compose_with_token(admin) -> str:
    """The count step as a browser posts it with CSRF on: the blank form's fields first."""
    blank = text(admin.get(NEW))
    data = form_fields(blank, "compose-form")
    for name, value in {"step": "preview", "title": "Promo", "body": "Halo {{ name }}"}.items():
        data[name] = value
    answer = admin.post(NEW, data=data)
    assert answer.status_code == 200
    return text(answer)
