"""Indonesian by default, English on request; the English catalog is complete and compiled."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "shop" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "N_": None}


def test_store_page_is_indonesian_by_default_and_english_on_request(client, make):
    store = make.store("warung")
    make.product(store, "TEH", "5000")
    assert "Tambah" in client.get("/store/warung").get_data(as_text=True)

    english = client.get("/store/warung?lang=en")
    assert "Add" in english.get_data(as_text=True) and "Tambah" not in english.get_data(
        as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    remembered = client.get("/store/warung").get_data(as_text=True)
    assert "Made to order" in remembered and '<html lang="en">' in remembered


def test_tracking_page_in_english_translates_statuses_and_steps(client, make):
    placed = make.order(make.store(), payment_method="bank_transfer")
    page = client.get(f"/track/{placed.id}?lang=en").get_data(as_text=True)
    for text in ("Awaiting confirmation", "Awaiting payment", "Order placed", "Bank transfer"):
        assert text in page
    assert "Menunggu Konfirmasi" not in page


def test_every_string_marked_for_translation_has_an_english_one():
    with open(CATALOG / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id}
    marked = set()
    method_map = [("shop/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT, method_map, keywords=KEYWORDS):
        marked.add(message if isinstance(message, str) else message[0])
    untranslated = sorted(m for m in marked if not translated.get(m))
    assert untranslated == [], "run pybabel extract/update/compile (see README)"


def test_compiled_catalog_matches_its_source():
    with open(CATALOG / "messages.po", "rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id}
    with open(CATALOG / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == source


def test_the_templates_texts_kept_per_language_answer_as_the_catalog_does(app):
    """`_()` keeps each language's texts: the same answer on the second call, each language
    its own, `%` formatting with and without values, and the kept set bounded."""
    from flask_babel import force_locale
    from markupsafe import Markup

    from shop import template_i18n
    from shop.template_i18n import template_gettext as _

    with app.test_request_context("/"):
        for _round in range(2):  # the first call reads the catalog, the second the kept text
            with force_locale("en"):
                assert _("Lacak Pesanan") == "Track order"
                assert isinstance(_("Lacak Pesanan"), Markup)
                assert _("Sisa %(n)s", n="<3>") == "&lt;3&gt; left"
                assert _("100%% halal") == "100% halal"
            with force_locale("id"):
                assert _("Lacak Pesanan") == "Lacak Pesanan"
                assert _("Sisa %(n)s", n=3) == "Sisa 3"
                assert _("100%% halal") == "100% halal"
        saved = template_i18n.MAX_TEXTS
        template_i18n.MAX_TEXTS = 3
        try:
            with force_locale("en"):
                for n in range(10):
                    assert _(f"teks {n}") == f"teks {n}"
                assert len(template_i18n._TEXTS[id(template_i18n._catalog())]) <= 3
                assert _("Lacak Pesanan") == "Track order"
        finally:
            template_i18n.MAX_TEXTS = saved
