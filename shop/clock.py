"""The shop's clock: one place to read "now", so tests can move time (sessions, OTP, limits)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware in UTC. Tests replace this function to move time."""
    return datetime.now(UTC)
