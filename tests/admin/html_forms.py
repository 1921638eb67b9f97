"""Read a rendered form the way a browser would submit it, so tests post what pages show."""

from __future__ import annotations

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside = form_id, False
        self.fields: list[tuple[str, str]] = []
        self.select: tuple[str, list[tuple[str, bool]]] | None = None
        self.option: dict | None = None
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button") or (kind in ("checkbox", "radio")
                                                and "checked" not in a):
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self.select = (a["name"], [])
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": []}
        elif tag == "textarea":
            self.textarea = (a["name"], [])

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"].append(data)
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None and self.select is not None:
            value = self.option["value"]
            value = "".join(self.option["text"]).strip() if value is None else value
            self.select[1].append((value, self.option["selected"]))
            self.option = None
        elif tag == "select" and self.select is not None:
            name, options = self.select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            self.fields += [(name, v) for v in chosen[:1]]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], "".join(self.textarea[1]).removeprefix("\n")))
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_fields(html: str, form_id: str) -> MultiDict:
    """The (name, value) pairs the form with this id would submit, in page order."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return MultiDict(reader.fields)
