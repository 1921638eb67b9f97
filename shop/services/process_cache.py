"""What one web process keeps of what every shopper of a store sees alike: rendered pages and
cards, and the cart's prices. Every key holds the store's catalog version (or the values the
entry was made from), which the database raises with each change a shopper would see
(models/catalog.py), so an entry is never stale: a change makes a new key, on every process
at its next request, and the old entry ages out."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from flask import current_app


class ProcessCache:
    """A bounded mapping, least recently used entries going first; safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, object] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: tuple, value) -> None:
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def process_cache(name: str, size: int) -> ProcessCache:
    """The app's cache of this name (made on first use)."""
    caches = current_app.extensions
    found = caches.get(f"shop_{name}")
    if found is None:
        found = caches.setdefault(f"shop_{name}", ProcessCache(size))
    return found


def cached(cache: ProcessCache, key: tuple, make: Callable[[], object]):
    """The entry for the key, made and kept when missing."""
    value = cache.get(key)
    if value is None:
        value = make()
        cache.put(key, value)
    return value
