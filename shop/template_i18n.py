"""Translation for the pages' templates (`_`), for Python code (`gettext`, 14 -> 1 us a call
against Flask-Babel's, the same text and formatting) and for WTForms' own messages
(`FORM_TRANSLATIONS`, loaded once per language). The templates' callables are three to four
times cheaper than Flask-Babel's own: a tracking page asks for ~57 texts, and each `_()` cost
~13 us (Jinja's newstyle wrapper calling Flask-Babel's gettext, which looks the catalog up by
the locale's name each time) — a fifth of the page's time (bench/cpu_per_request.py). The same
semantics: the language of the request (or of force_locale), the result marked safe with its
variables escaped, `%` formatting always applied (so `%%` is a percent sign), as Jinja's
newstyle gettext does with autoescaping. Every template of the app's environment is HTML
(autoescaped); the message templates have their own environment
(services/message_templates.py)."""

from __future__ import annotations

from babel import support
from flask import Flask, g
from flask_babel import get_locale, get_translations
from markupsafe import Markup
from wtforms.i18n import messages_path

#: The catalog of each language, by the locale's parts (every app of this code reads the
#: same translation directory).
_CATALOGS: dict[tuple, object] = {}


def current_locale():
    """Flask-Babel's locale of this context (set by its first get_locale() or by
    force_locale), read with one look at `g` instead of get_locale()'s three; until it is
    set, get_locale() works it out and keeps it. None outside an application context."""
    try:
        current = g._get_current_object()
    except RuntimeError:  # no application context: get_locale() answers None
        current = None
    return getattr(getattr(current, "_flask_babel", None), "babel_locale", None) \
        or get_locale()


def _catalog():
    locale = current_locale()
    if locale is None:
        return None
    key = (locale.language, locale.territory, locale.script, locale.variant)
    found = _CATALOGS.get(key)
    if found is None:
        found = _CATALOGS[key] = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext for Python code, with the catalog found as the templates' is:
    the same text and `%` formatting (only when there are variables)."""
    catalog = _catalog()
    text = catalog.ugettext(string) if catalog is not None else string
    return text % variables if variables else text


#: The templates' translated texts per language, as `_()` returns them (marked safe) with
#: whether they need `%` formatting: a page asks for the same few dozen texts on every
#: request. Bounded: cleared when it holds MAX_TEXTS of one language.
_TEXTS: dict[object, dict[str, tuple[Markup, bool]]] = {}
MAX_TEXTS = 4096


def template_gettext(string: str, **variables) -> Markup:
    catalog = _catalog()
    texts = _TEXTS.get(id(catalog))
    if texts is None:
        texts = _TEXTS[id(catalog)] = {}
    found = texts.get(string)
    if found is None:
        text = catalog.ugettext(string) if catalog is not None else string
        if len(texts) >= MAX_TEXTS:
            texts.clear()
        # A translation of the template's own text.
        found = texts[string] = (Markup(text), "%" in text)  # noqa: S704
    if not variables and not found[1]:
        return found[0]
    return found[0] % variables


def template_ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    catalog = _catalog()
    if catalog is not None:
        text = catalog.ungettext(singular, plural, num)
    else:
        text = singular if num == 1 else plural
    variables.setdefault("num", num)
    return Markup(text) % variables  # noqa: S704


def install(app: Flask) -> None:
    """Use them in the app's templates (after Flask-Babel has installed its own)."""
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                                 ngettext=template_ngettext)


class FormTranslations:
    """WTForms' own messages ("Not a valid integer value.") in the request's language, for a
    form's `Meta.get_translations`: each language's catalog loaded once per process, where
    Flask-WTF reads the catalog file again in every request that asks for one."""

    _loaded: dict[str, support.Translations] = {}

    def _catalog(self) -> support.Translations:
        language = str(current_locale() or "id")
        found = self._loaded.get(language)
        if found is None:
            found = self._loaded[language] = support.Translations.load(
                messages_path(), [language], domain="wtforms")
        return found

    def gettext(self, string: str) -> str:
        return self._catalog().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog().ungettext(singular, plural, n)


FORM_TRANSLATIONS = FormTranslations()
