"""The OTP login's counters, shared by every web process: requests per number (3 per 10
minutes, 60 s apart), wrong codes per number (5 block it for 15 minutes) and the block.

Flask-Limiter guards the checkout and the upload forms per client address and per minute; it
is not used here because these limits are per phone number (a bucket the operation works out
from a number written in any form, or from a shop code), they must follow shop.clock.now (so
a test can move time by ten minutes), and a block is a state of its own: a wrong code counts
towards it, a right code is refused while it lasts, and a success clears the count. Those
are a few lines of Redis (a sorted set of moments per number, checked and written by one
script, so parallel requests of many processes never slip past a limit), or of a dict and a
lock in the embedded default. Every moment stored is the shop clock's; Redis' own expiry
only cleans up keys nobody asks about any more.

A counter lives outside the database transaction on purpose: the boundary rolls back when a
wrong code raises InvalidCode, and the count must stay.
"""

from __future__ import annotations

import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app

#: Redis keys: shop:otp:<kind>:<bucket>.
PREFIX = "shop:otp"
#: Extra real seconds a Redis key outlives its window, for cleanup only.
TTL_MARGIN = 60
#: The memory backend forgets idle numbers once it holds this many.
MEMORY_BUCKETS = 10_000


@dataclass(frozen=True)
class OtpRules:
    """The limits of the OTP login (shop/config.py, OTP_*)."""

    requests: int = 3
    request_window: int = 600
    cooldown: int = 60
    max_wrong: int = 5
    block: int = 900

    @classmethod
    def from_config(cls, config) -> OtpRules:
        return cls(requests=config["OTP_REQUESTS_PER_WINDOW"],
                   request_window=config["OTP_REQUEST_WINDOW_SECONDS"],
                   cooldown=config["OTP_COOLDOWN_SECONDS"], max_wrong=config["OTP_MAX_WRONG"],
                   block=config["OTP_BLOCK_SECONDS"])


class OtpLimits(Protocol):
    """What the OTP login asks of a backend; each answer is a wait in seconds, 0 for none."""

    def take_request(self, bucket: str, now: datetime) -> int:
        """Count a code request unless the number is blocked, asked too often or too soon
        (then: the wait, and nothing counted)."""

    def count_wrong(self, bucket: str, now: datetime) -> int:
        """Count a wrong code; the wait if the number is (now) blocked."""

    def blocked_for(self, bucket: str, now: datetime) -> int:
        """The wait until the number's block lifts (0: not blocked)."""

    def clear_wrong(self, bucket: str) -> None:
        """Forget the number's wrong codes (a right code was given)."""


def _wait(seconds: float) -> int:
    return max(math.ceil(seconds), 1)


def _request_wait(times: list[float], now: float, rules: OtpRules) -> int:
    """The wait before one more request, given the request moments within the window."""
    waits = []
    if times and now - times[-1] < rules.cooldown:
        waits.append(times[-1] + rules.cooldown - now)
    if len(times) >= rules.requests:
        waits.append(times[-rules.requests] + rules.request_window - now)
    return _wait(max(waits)) if waits else 0


class MemoryLimits:
    """One process's counters (the embedded default: one web process)."""

    def __init__(self, rules: OtpRules):
        self.rules = rules
        self._lock = threading.Lock()
        self._requests: dict[str, list[float]] = {}
        self._wrong: dict[str, list[float]] = {}
        self._blocked: dict[str, float] = {}

    def _blocked_wait(self, bucket: str, now: float) -> int:
        until = self._blocked.get(bucket, 0.0)
        if until <= now:
            self._blocked.pop(bucket, None)
            return 0
        return _wait(until - now)

    def take_request(self, bucket: str, now: datetime) -> int:
        moment = now.timestamp()
        with self._lock:
            self._forget_idle(moment)
            blocked = self._blocked_wait(bucket, moment)
            if blocked:
                return blocked
            times = [t for t in self._requests.get(bucket, [])
                     if t > moment - self.rules.request_window]
            wait = _request_wait(times, moment, self.rules)
            if not wait:
                times.append(moment)
            self._requests[bucket] = times
            return wait

    def count_wrong(self, bucket: str, now: datetime) -> int:
        moment = now.timestamp()
        with self._lock:
            self._forget_idle(moment)
            blocked = self._blocked_wait(bucket, moment)
            if blocked:
                return blocked
            times = [t for t in self._wrong.get(bucket, []) if t > moment - self.rules.block]
            times.append(moment)
            if len(times) >= self.rules.max_wrong:
                self._wrong.pop(bucket, None)
                self._blocked[bucket] = moment + self.rules.block
                return self.rules.block
            self._wrong[bucket] = times
            return 0

    def blocked_for(self, bucket: str, now: datetime) -> int:
        with self._lock:
            return self._blocked_wait(bucket, now.timestamp())

    def clear_wrong(self, bucket: str) -> None:
        with self._lock:
            self._wrong.pop(bucket, None)

    def clear(self) -> None:
        """Forget everything (tests share one app, and so one backend, between them)."""
        with self._lock:
            self._requests.clear()
            self._wrong.clear()
            self._blocked.clear()

    def _forget_idle(self, now: float) -> None:
        """Keep memory bounded: past MEMORY_BUCKETS numbers, drop those with nothing recent."""
        if len(self._requests) + len(self._wrong) <= MEMORY_BUCKETS:
            return
        for kept, window in ((self._requests, self.rules.request_window),
                             (self._wrong, self.rules.block)):
            for bucket in [b for b, times in kept.items() if not times
                           or times[-1] <= now - window]:
                del kept[bucket]
        for bucket in [b for b, until in self._blocked.items() if until <= now]:
            del self._blocked[bucket]


# One script per decision, so a check and its write are one step for every process.
# KEYS: requests zset, block key. ARGV: now, window, max, cooldown, member, ttl.
TAKE_REQUEST = """
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return math.ceil(blocked - now) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local wait = 0
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and now - tonumber(last[2]) < tonumber(ARGV[4]) then
  wait = tonumber(last[2]) + tonumber(ARGV[4]) - now
end
local max = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= max then
  local first = redis.call('ZRANGE', KEYS[1], -max, -max, 'WITHSCORES')
  wait = math.max(wait, tonumber(first[2]) + tonumber(ARGV[2]) - now)
end
if wait > 0 then return math.max(math.ceil(wait), 1) end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 0
"""
# KEYS: wrong-codes zset, block key. ARGV: now, block seconds, max wrong, member, ttl.
COUNT_WRONG = """
local now = tonumber(ARGV[1])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return math.ceil(blocked - now) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], now, ARGV[4])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], tostring(now + tonumber(ARGV[2])), 'EX', ARGV[5])
  return tonumber(ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 0
"""


class RedisLimits:
    """The counters of every web process, in Redis (REDIS_URL)."""

    def __init__(self, connection, rules: OtpRules):
        self.rules = rules
        self.connection = connection
        self._take = connection.register_script(TAKE_REQUEST)
        self._wrong = connection.register_script(COUNT_WRONG)

    @staticmethod
    def _key(kind: str, bucket: str) -> str:
        return f"{PREFIX}:{kind}:{bucket}"

    def take_request(self, bucket: str, now: datetime) -> int:
        rules = self.rules
        return int(self._take(
            keys=[self._key("requests", bucket), self._key("block", bucket)],
            args=[repr(now.timestamp()), rules.request_window, rules.requests, rules.cooldown,
                  _member(now), rules.request_window + TTL_MARGIN]))

    def count_wrong(self, bucket: str, now: datetime) -> int:
        rules = self.rules
        return int(self._wrong(
            keys=[self._key("wrong", bucket), self._key("block", bucket)],
            args=[repr(now.timestamp()), rules.block, rules.max_wrong, _member(now),
                  rules.block + TTL_MARGIN]))

    def blocked_for(self, bucket: str, now: datetime) -> int:
        until = self.connection.get(self._key("block", bucket))
        if until is None or float(until) <= now.timestamp():
            return 0
        return _wait(float(until) - now.timestamp())

    def clear_wrong(self, bucket: str) -> None:
        self.connection.delete(self._key("wrong", bucket))


def _member(now: datetime) -> str:
    """A sorted-set member of its own for each event (two at one moment both count)."""
    return f"{now.timestamp()!r}:{secrets.token_hex(4)}"


def otp_limits(app=None) -> OtpLimits:
    """The app's OTP counters: in Redis when REDIS_URL is set, else in this process."""
    app = app or current_app._get_current_object()
    limits = app.extensions.get("shop_otp_limits")
    if limits is None:
        from ..jobs import redis_connection

        rules = OtpRules.from_config(app.config)
        connection = redis_connection(app)
        limits = RedisLimits(connection, rules) if connection is not None else MemoryLimits(rules)
        app.extensions["shop_otp_limits"] = limits
    return limits
