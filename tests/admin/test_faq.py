"""The back office's support chat FAQ: an admin lists, writes, changes and removes its stores'
entries, never another store's (404 and unchanged); bad input is shown on its field and
changes nothing; what is saved here is what the chat's model is given, in its order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import FaqEntry
from shop.services import faq, support_chat

from .backoffice import csrf_enabled, csrf_token, follow, text, to_login

LIST = "/admin/faq/"


def entry_form(**values) -> dict:
    data = {"question": "Berapa lama pengiriman?", "answer": "2 sampai 3 hari kerja.",
            "position": "10", "is_active": "y"}
    data.update(values)
    return data


def entry(entry_id: int) -> FaqEntry | None:
    db.session.expire_all()
    return db.session.get(FaqEntry, entry_id)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(FaqEntry))


@pytest.fixture
def entries(two_stores):
    """An entry of store A and one of store B."""
    a, b = two_stores
    mine = faq.create_faq_entry(a, {"question": "Jam buka toko A?", "answer": "08.00-17.00"})
    theirs = faq.create_faq_entry(b, {"question": "Rahasia toko B?", "answer": "Jawaban B"})
    db.session.commit()
    return a, b, mine, theirs


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("method, url", [
    ("get", LIST), ("get", f"{LIST}new/"), ("get", f"{LIST}edit/?id=1"),
    ("get", f"{LIST}details/?id=1"), ("post", f"{LIST}new/"), ("post", f"{LIST}edit/?id=1"),
    ("post", f"{LIST}delete/"),
])
def test_given_an_anonymous_visitor_then_every_page_sends_to_the_login(client, entries,
                                                                        method, url):
    answer = getattr(client, method)(url, data={"id": "1", **entry_form()})

    assert to_login(answer)
    assert count() == 2


def test_given_an_admin_when_it_lists_then_it_sees_its_stores_entries_only(login_as, entries):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])

    page = text(admin.get(LIST))

    assert "Jam buka toko A?" in page and "Rahasia" not in page
    assert "Toko B" not in page  # not even among the store filter's options
    assert "FAQ Chat Bantuan" in page


def test_given_a_super_admin_then_it_lists_every_store_and_filters_by_store(login_as,
                                                                            entries):
    a, b, mine, theirs = entries
    boss = login_as("super_admin")

    assert "Jam buka toko A?" in text(boss.get(LIST))
    assert "Rahasia toko B?" in text(boss.get(LIST))
    only_b = text(boss.get(f"{LIST}?flt_toko_equals={b.id}"))
    assert "Rahasia toko B?" in only_b and "Jam buka toko A?" not in only_b


def test_given_a_search_then_questions_and_answers_are_matched(login_as, entries):
    a, *_ = entries
    admin = login_as("admin", [a])

    assert "Jam buka toko A?" in text(admin.get(f"{LIST}?search=08.00"))
    assert "Jam buka toko A?" not in text(admin.get(f"{LIST}?search=pengembalian"))
    nul = admin.get(f"{LIST}?search=a%00b")
    assert nul.status_code == 200 and "tidak diizinkan" in text(nul)


@pytest.mark.parametrize("page", ["details", "edit"])
def test_given_another_stores_entry_when_an_admin_opens_it_then_404(login_as, entries, page):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])

    answer = admin.get(f"{LIST}{page}/?id={theirs.id}")

    assert answer.status_code == 404 and "Rahasia" not in text(answer)
    assert admin.get(f"{LIST}{page}/?id=999999").status_code == 404
    assert admin.get(f"{LIST}{page}/?id=abc").status_code == 404
    assert admin.get(f"{LIST}{page}/?id={mine.id}").status_code == 200


def test_given_another_stores_entry_then_an_admin_cannot_change_or_delete_it(login_as,
                                                                           entries):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])

    edited = admin.post(f"{LIST}edit/?id={theirs.id}", data=entry_form(question="Diambil"))
    deleted = admin.post(f"{LIST}delete/", data={"id": theirs.id})
    admin.post(f"{LIST}action/", data={"action": "delete", "rowid": [theirs.id]})

    assert (edited.status_code, deleted.status_code) == (404, 404)
    row = entry(theirs.id)
    assert (row.question, row.answer, row.store_id) == ("Rahasia toko B?", "Jawaban B", b.id)


def test_given_an_admin_when_it_creates_for_another_store_then_it_is_refused(login_as,
                                                                           entries):
    a, b, *_ = entries
    admin = login_as("admin", [a])

    answer = admin.post(f"{LIST}new/", data=entry_form(store_id=b.id))

    assert answer.status_code == 200 and "Not a valid choice" in text(answer)
    assert db.session.scalar(select(func.count()).where(FaqEntry.store_id == b.id)) == 1
    assert count() == 2


# --- create, edit, delete ------------------------------------------------------------------


def test_given_an_admin_when_it_creates_an_entry_then_it_is_saved_for_its_store(login_as,
                                                                              entries):
    a, *_ = entries
    admin = login_as("admin", [a])

    page = follow(admin, admin.post(f"{LIST}new/", data=entry_form(
        store_id=a.id, question="  Bisa COD?  ", answer="Bisa,\nuntuk Jakarta.")))

    row = db.session.scalar(select(FaqEntry).where(FaqEntry.question == "Bisa COD?"))
    assert (row.store_id, row.answer, row.position, row.is_active) == (
        a.id, "Bisa,\nuntuk Jakarta.", 10, True)
    assert "Bisa COD?" in page


def test_given_an_admin_with_one_store_then_the_create_form_chooses_it(login_as, entries):
    a, *_ = entries
    admin = login_as("admin", [a])

    page = text(admin.get(f"{LIST}new/"))

    assert f'<option selected value="{a.id}">Toko A</option>' in page
    assert "Toko B" not in page


def test_given_its_entry_when_an_admin_edits_it_then_it_changes(login_as, entries):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])

    answer = admin.post(f"{LIST}edit/?id={mine.id}", data=entry_form(
        question="Jam buka?", answer="09.00-18.00", position="3", is_active=""))

    assert answer.status_code == 302
    row = entry(mine.id)
    assert (row.question, row.answer, row.position, row.is_active, row.store_id) == (
        "Jam buka?", "09.00-18.00", 3, False, a.id)


def test_given_its_entry_when_an_admin_deletes_it_then_it_is_gone(login_as, entries):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])

    answer = admin.post(f"{LIST}delete/", data={"id": mine.id})

    assert answer.status_code == 302
    assert entry(mine.id) is None and entry(theirs.id) is not None


@pytest.mark.parametrize("field, value, message", [
    ("question", "ab", "Minimal 3 huruf."),
    ("question", "x" * 301, "Maksimal 300 huruf."),
    ("question", "   ", "Wajib diisi."),
    ("question", "baris\nkedua", "Berisi karakter yang tidak diizinkan."),
    ("answer", "", "Wajib diisi."),
    ("answer", "y" * 2001, "Maksimal 2000 huruf."),
    ("answer", "nul\x00di sini", "Berisi karakter yang tidak diizinkan."),
    ("position", "-1", "Angka 0 sampai 9999."),
    ("position", "10000", "Angka 0 sampai 9999."),
    ("position", "satu", "Angka 0 sampai 9999."),
    ("position", "²", "Angka 0 sampai 9999."),
])
def test_given_bad_input_then_the_field_says_so_and_nothing_changes(login_as, entries, field,
                                                                    value, message):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])

    created = admin.post(f"{LIST}new/", data=entry_form(store_id=a.id, **{field: value}))
    edited = admin.post(f"{LIST}edit/?id={mine.id}", data=entry_form(**{field: value}))

    for answer in (created, edited):
        assert answer.status_code == 200 and message in text(answer), field
    assert count() == 2
    row = entry(mine.id)
    assert (row.question, row.answer, row.position, row.is_active) == (
        "Jam buka toko A?", "08.00-17.00", 0, True)


def test_given_the_bounds_then_they_are_taken(login_as, entries):
    a, *_ = entries
    admin = login_as("admin", [a])

    admin.post(f"{LIST}new/", data=entry_form(store_id=a.id, question="abc", answer="y",
                                              position="0"))
    admin.post(f"{LIST}new/", data=entry_form(store_id=a.id, question="q" * 300,
                                              answer="z" * 2000, position="9999"))

    rows = db.session.scalars(select(FaqEntry).where(FaqEntry.question.in_(
        ["abc", "q" * 300])).order_by(FaqEntry.position)).all()
    assert [(r.position, len(r.answer)) for r in rows] == [(0, 1), (9999, 2000)]


def test_given_script_in_an_entry_then_the_pages_show_it_escaped(login_as, two_stores):
    a, _ = two_stores
    row = faq.create_faq_entry(a, {"question": "<script>alert(1)</script>",
                                   "answer": "<img src=x onerror=alert(2)>"})
    db.session.commit()
    admin = login_as("admin", [a])

    for url in (LIST, f"{LIST}details/?id={row.id}", f"{LIST}edit/?id={row.id}"):
        page = text(admin.get(url))
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url


def test_every_post_without_a_csrf_token_is_refused(app, login_as, entries):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])
    with csrf_enabled(app):
        answers = [admin.post(f"{LIST}new/", data=entry_form(store_id=a.id)),
                   admin.post(f"{LIST}edit/?id={mine.id}", data=entry_form(question="Ubah")),
                   admin.post(f"{LIST}delete/", data={"id": mine.id})]
        token = csrf_token(admin, f"{LIST}new/")
        created = admin.post(f"{LIST}new/", data=entry_form(store_id=a.id, csrf_token=token))

    assert [x.status_code for x in answers] == [400, 400, 400]
    assert created.status_code == 302 and count() == 3
    assert entry(mine.id).question == "Jam buka toko A?"


# --- what the chat is given ----------------------------------------------------------------


def test_given_entries_made_in_the_back_office_then_the_chat_gets_the_active_in_order(
        login_as, entries):
    a, b, mine, theirs = entries
    admin = login_as("admin", [a])
    for question, position, active in (("Pertanyaan ketiga?", "30", "y"),
                                       ("Pertanyaan pertama?", "1", "y"),
                                       ("Pertanyaan nonaktif?", "2", ""),
                                       ("Pertanyaan kedua?", "20", "y")):
        answer = admin.post(f"{LIST}new/", data=entry_form(
            store_id=a.id, question=question, position=position, is_active=active))
        assert answer.status_code == 302, text(answer)[:500]

    given = [e.question for e in support_chat.faq_entries(a)]

    assert given == ["Jam buka toko A?", "Pertanyaan pertama?", "Pertanyaan kedua?",
                     "Pertanyaan ketiga?"]
    assert "Pertanyaan nonaktif?" not in support_chat.system_prompt(a, None,
                                                                    support_chat.faq_entries(a))
    listed = text(admin.get(LIST))
    shown = [listed.find(q) for q in ("Jam buka toko A?", "Pertanyaan pertama?",
                                      "Pertanyaan nonaktif?", "Pertanyaan kedua?")]
    assert -1 not in shown and shown == sorted(shown)  # the list too, by position


def test_the_menu_label_is_translated_to_english(login_as, entries):
    a, *_ = entries
    admin = login_as("admin", [a])

    page = text(admin.get(f"{LIST}?lang=en"))

    assert "Help chat FAQ" in page and "FAQ Chat Bantuan" not in page
