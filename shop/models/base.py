"""Column types and helpers every table uses: UTC timestamps, money, enums, random ids."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String, TypeDecorator

CENT = Decimal("0.01")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_public_id(prefix: str = "c") -> str:
    """An opaque id for public answers: the prefix and 25 base-36 characters of 129 random
    bits, so nothing about a row's age or count can be read from it."""
    value = secrets.randbits(129)
    chars = []
    for _ in range(25):
        value, rest = divmod(value, 36)
        chars.append(_BASE36[rest])
    return prefix + "".join(chars)


def new_order_id() -> str:
    """A CUID-style id: 'c' and 25 base-36 characters of 129 random bits. Never sequential."""
    return new_public_id("c")


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use shop.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator):
    """Rupiah amounts as Decimal with two places (Numeric(15, 2)), never float."""

    impl = Numeric(15, 2)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = Decimal(value).quantize(CENT)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(CENT)


class StrEnumType(TypeDecorator):
    """A Python StrEnum kept as its plain string value in a VARCHAR column."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int = 32):
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)
