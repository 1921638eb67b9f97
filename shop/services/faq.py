"""The support chat's FAQ (issue 13, item 5): a store's questions and answers, written by its
admins in the back office and given, when active, to the chat's model (support_chat)."""

from __future__ import annotations

from ..errors import InvalidInput
from ..extensions import db
from ..models import FaqEntry, Store
from .validation import ASCII_DIGITS, clean_text

QUESTION_MIN = 3
QUESTION_MAX = 300
ANSWER_MAX = 2000
POSITION_MAX = 9999


def clean_question(raw) -> str:
    """One line of 3 to 300 characters, trimmed. Raises InvalidInput."""
    text = clean_text(raw, field="question", label="Pertanyaan", required=True,
                      limit=QUESTION_MAX, multiline=False)
    if len(text) < QUESTION_MIN:
        raise InvalidInput("Pertanyaan terlalu pendek.",
                           fields={"question": f"Minimal {QUESTION_MIN} huruf."})
    return text


def clean_answer(raw) -> str:
    """A text of 1 to 2,000 characters (line breaks kept), trimmed. Raises InvalidInput."""
    return clean_text(raw, field="answer", label="Jawaban", required=True, limit=ANSWER_MAX,
                      multiline=True)


def clean_position(raw) -> int:
    """A whole number from 0 to 9,999, as an int or ASCII digits; blank is 0. Raises
    InvalidInput."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 0
    value = raw
    if isinstance(raw, str):
        text = raw.strip()
        value = int(text) if len(text) <= 4 and ASCII_DIGITS.fullmatch(text) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= POSITION_MAX:
        raise InvalidInput("Urutan harus angka 0 sampai 9.999.",
                           fields={"position": f"Angka 0 sampai {POSITION_MAX}."})
    return value


def clean_values(values: dict) -> dict:
    """The entry's fields from a form or a body, checked all at once (every refused field is
    reported). Raises InvalidInput."""
    cleaned, errors = {}, {}
    for name, cleaner in (("question", clean_question), ("answer", clean_answer),
                          ("position", clean_position)):
        try:
            cleaned[name] = cleaner(values.get(name))
        except InvalidInput as error:
            errors.update(error.fields)
    if errors:
        raise InvalidInput("Periksa kembali isian FAQ.", fields=errors)
    cleaned["is_active"] = bool(values.get("is_active", True))
    return cleaned


def create_faq_entry(store: Store, values: dict) -> FaqEntry:
    """Add a question and its answer to the store's FAQ. Raises InvalidInput."""
    entry = FaqEntry(store_id=store.id, **clean_values(values))
    db.session.add(entry)
    db.session.flush()
    return entry


def update_faq_entry(entry: FaqEntry, values: dict) -> FaqEntry:
    """Change an entry's question, answer, position or activity (never its store). Raises
    InvalidInput; the entry is unchanged then."""
    for name, value in clean_values(values).items():
        setattr(entry, name, value)
    db.session.flush()
    return entry


def delete_faq_entry(entry: FaqEntry) -> None:
    """Remove an entry from its store's FAQ."""
    db.session.delete(entry)
    db.session.flush()
