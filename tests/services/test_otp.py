"""The dealers' OTP login and sessions (seed 004 section 2B, DESIGN.md "OTP"), with a moved
clock: every limit, on SQLite and PostgreSQL, with the counters in this process and (with
TEST_REDIS_URL) in Redis. Parallel processes and verifications: tests/concurrency/."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop import clock
from shop.errors import InvalidCode, InvalidInput, NotSignedIn, TooManyRequests
from shop.extensions import db
from shop.models import Notification, NotificationStatus, ShopOtp, ShopSession, Store
from shop.services import dealers, notifications
from shop.services.otp import (
    NewSession,
    OtpSent,
    authenticate,
    code_hash,
    end_shop_sessions,
    logout,
    request_otp,
    token_hash,
    verify_otp,
)
from shop.services.otp_limits import MemoryLimits, OtpRules, RedisLimits, otp_limits
from shop.unit_of_work import commit

PHONE = "628123456789"  # Toko Jaya Motor (TK001) of seed 004
START = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


class MovedClock:
    """shop.clock.now for a test: stands still until moved."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)

    def to(self, seconds: float) -> None:
        """Stand `seconds` after the test's start."""
        self.at = START + timedelta(seconds=seconds)


@pytest.fixture
def now(monkeypatch) -> MovedClock:
    moved = MovedClock(START)
    monkeypatch.setattr(clock, "now", moved)
    return moved


@pytest.fixture(params=["memory", "redis"])
def limits(request, app, database):
    """The OTP counters of the app: this process's, or (TEST_REDIS_URL) Redis', empty."""
    with app.app_context():
        saved = otp_limits(app)
        rules = OtpRules.from_config(app.config)
        if request.param == "memory":
            backend = MemoryLimits(rules)
        else:
            url = os.environ.get("TEST_REDIS_URL")
            if not url:
                pytest.skip("TEST_REDIS_URL is not set")
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
            client.flushdb()
            backend = RedisLimits(client, rules)
        app.extensions["shop_otp_limits"] = backend
        try:
            yield backend
        finally:
            app.extensions["shop_otp_limits"] = saved
            if request.param == "redis":
                client.flushdb()
                client.close()


@pytest.fixture
def shop(make, limits, now):
    """TK001 Toko Jaya Motor of the PMO distributor, phone 628123456789."""
    return make.dealer_shop()


def outbox(phone: str = PHONE) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(
        Notification.recipient == phone, Notification.template == "otp")
        .order_by(Notification.id)))


def last_code(phone: str = PHONE) -> str:
    """The code of the newest message to this number (still in its outbox row: not sent)."""
    return outbox(phone)[-1].data["code"]


def sign_in(login: str = PHONE, **fields) -> NewSession:
    """Ask for a code and give it back."""
    request_otp(phone=login) if not login.startswith("TK") else request_otp(shop_code=login)
    return verify_otp(login=login, code=last_code(), **fields)


def wrong(code: str) -> str:
    """A 6-digit code other than this one."""
    return f"{(int(code) + 1) % 10**6:06d}"


# --- requesting a code --------------------------------------------------------------------


def test_a_request_keeps_only_an_hmac_and_queues_one_message_on_the_high_queue(
        shop, now, monkeypatch):
    queued = []
    monkeypatch.setattr("shop.jobs.deliver_soon", lambda ids, queue_name: queued.append(
        (list(ids), queue_name)))

    sent = request_otp(phone="0812-3456-789")
    commit()

    assert sent == OtpSent(login=PHONE, expires_in=300)
    (message,) = outbox()
    code = message.data["code"]
    assert len(code) == 6 and code.isdigit()
    assert message.data["minutes"] == 5 and message.data["store_name"] == "PMO Distributor"
    assert queued == [([message.id], "high")]
    (otp,) = db.session.scalars(select(ShopOtp)).all()
    assert otp.phone == PHONE and otp.code_hash == code_hash(PHONE, code) != code
    assert code not in otp.code_hash and otp.expires_at == START + timedelta(minutes=5)


def test_neither_a_phone_nor_a_shop_code_or_an_unreadable_number_is_refused(shop):
    with pytest.raises(InvalidInput):
        request_otp()
    with pytest.raises(InvalidInput):
        request_otp(phone="12")
    with pytest.raises(InvalidInput):
        request_otp(shop_code="<script>")
    assert outbox() == []


def test_the_fourth_request_in_ten_minutes_is_refused_and_sends_nothing(shop, now):
    for at in (0, 61, 122):
        now.to(at)
        request_otp(phone=PHONE)
    now.to(242)

    with pytest.raises(TooManyRequests) as refused:
        request_otp(phone=PHONE)

    assert refused.value.retry_after == 600 - 242
    assert len(outbox()) == 3
    now.to(599)
    with pytest.raises(TooManyRequests):
        request_otp(phone=PHONE)
    now.to(600)  # the first request leaves the window
    request_otp(phone=PHONE)
    assert len(outbox()) == 4


def test_a_request_within_60_seconds_is_refused_and_sends_nothing(shop, now):
    request_otp(phone=PHONE)
    now.move(seconds=45)

    with pytest.raises(TooManyRequests) as refused:
        request_otp(phone=PHONE)

    assert refused.value.retry_after == 15 and len(outbox()) == 1
    now.move(seconds=15)
    request_otp(phone=PHONE)
    assert len(outbox()) == 2


def test_a_refused_request_does_not_count_towards_the_limit(shop, now):
    request_otp(phone=PHONE)
    for _ in range(5):  # impatient clicks within the minute
        now.move(seconds=5)
        with pytest.raises(TooManyRequests):
            request_otp(phone=PHONE)
    now.move(seconds=60)
    request_otp(phone=PHONE)
    now.move(seconds=60)
    request_otp(phone=PHONE)
    assert len(outbox()) == 3


def test_other_forms_of_the_number_are_the_same_dealer_and_the_same_bucket(shop, now):
    sent = request_otp(phone="+62 812-3456-789")
    now.move(seconds=30)

    with pytest.raises(TooManyRequests):
        request_otp(phone="0812 3456 789")
    with pytest.raises(TooManyRequests):
        request_otp(shop_code="tk001")  # the shop's code is its number's bucket too

    assert sent.login == PHONE and len(outbox()) == 1
    new = verify_otp(login="0812-3456-789", code=last_code())
    assert new.shop.id == shop.id


def test_an_unknown_number_gets_the_same_answer_the_same_limits_and_no_message(shop, now):
    stranger = "6281299990000"

    sent = request_otp(phone="081299990000")
    now.move(seconds=30)
    with pytest.raises(TooManyRequests) as refused:
        request_otp(phone=stranger)

    assert sent == OtpSent(login=stranger, expires_in=300)
    assert refused.value.retry_after == 30
    assert outbox(stranger) == [] and db.session.scalar(
        select(func.count()).select_from(ShopOtp)) == 0
    for _ in range(4):
        with pytest.raises(InvalidCode):
            verify_otp(login=stranger, code="123456")
    with pytest.raises(TooManyRequests):
        verify_otp(login=stranger, code="123456")


def test_an_unknown_shop_code_gets_the_same_answer_and_no_message(shop, now):
    sent = request_otp(shop_code="tk999")

    assert sent == OtpSent(login="TK999", expires_in=300)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    with pytest.raises(InvalidCode):
        verify_otp(login="TK999", code="123456")


def test_a_disabled_shop_gets_the_same_answer_and_no_message(shop, now):
    dealers.save_shop(shop.store, shop, {"is_active": False})

    sent = request_otp(phone=PHONE)

    assert sent == OtpSent(login=PHONE, expires_in=300) and outbox() == []


# --- verifying it ------------------------------------------------------------------------


def test_the_right_code_opens_a_seven_day_session_with_the_client_details(shop, now):
    request_otp(phone=PHONE)
    now.move(seconds=20)

    new = verify_otp(login=PHONE, code=f" {last_code()} ", ip="10.0.0.7",
                     user_agent="Mozilla/5.0 (Android)")

    assert new.shop.id == shop.id and new.expires_at == now.at + timedelta(days=7)
    row = db.session.get(ShopSession, new.session.id)
    assert row.token_hash == token_hash(new.token) and len(new.token) >= 43
    assert (row.ip_address, row.user_agent) == ("10.0.0.7", "Mozilla/5.0 (Android)")
    assert row.last_activity == now.at and row.revoked_at is None
    assert authenticate(new.token).shop_id == shop.id


def test_a_shop_code_login_signs_in_its_shop(shop, now):
    sent = request_otp(shop_code="tk001")

    new = verify_otp(login=sent.login, code=last_code())

    assert sent.login == "TK001" and new.shop.id == shop.id


def test_a_code_expires_after_five_minutes(shop, now):
    request_otp(phone=PHONE)
    code = last_code()
    now.move(minutes=5)

    with pytest.raises(InvalidCode):
        verify_otp(login=PHONE, code=code)

    assert db.session.scalar(select(func.count()).select_from(ShopSession)) == 0


def test_a_code_still_works_a_second_before_it_expires(shop, now):
    request_otp(phone=PHONE)
    now.move(seconds=299)

    assert verify_otp(login=PHONE, code=last_code()).shop.id == shop.id


def test_a_code_is_used_once(shop, now):
    request_otp(phone=PHONE)
    code = last_code()
    verify_otp(login=PHONE, code=code)

    with pytest.raises(InvalidCode):
        verify_otp(login=PHONE, code=code)

    assert db.session.scalar(select(func.count()).select_from(ShopSession)) == 1
    assert db.session.scalars(select(ShopOtp)).one().used_at == START


def test_a_newer_code_voids_the_older(shop, now, monkeypatch):
    import shop.services.otp as otp

    drawn = iter([123456, 654321])  # two different codes, whatever chance would draw
    monkeypatch.setattr(otp.secrets, "randbelow", lambda _n: next(drawn))
    request_otp(phone=PHONE)
    older = last_code()
    now.move(seconds=61)
    request_otp(phone=PHONE)
    newer = last_code()
    assert (older, newer) == ("123456", "654321")

    with pytest.raises(InvalidCode):
        verify_otp(login=PHONE, code=older)

    assert verify_otp(login=PHONE, code=newer).shop.id == shop.id


def test_five_wrong_codes_block_even_the_right_one_and_a_new_code_does_not_lift_it(
        shop, now):
    request_otp(phone=PHONE)
    code = last_code()
    for _ in range(4):
        with pytest.raises(InvalidCode):
            verify_otp(login=PHONE, code=wrong(code))

    with pytest.raises(TooManyRequests) as fifth:
        verify_otp(login=PHONE, code=wrong(code))
    with pytest.raises(TooManyRequests):
        verify_otp(login=PHONE, code=code)
    now.move(seconds=61)
    with pytest.raises(TooManyRequests) as again:
        request_otp(phone=PHONE)
    with pytest.raises(TooManyRequests):
        verify_otp(login="TK001", code=code)

    assert fifth.value.retry_after == 900 and again.value.retry_after == 900 - 61
    assert len(outbox()) == 1  # no message to a blocked number
    assert db.session.scalar(select(func.count()).select_from(ShopSession)) == 0


def test_a_new_code_does_not_reset_the_count_of_wrong_codes(shop, now):
    request_otp(phone=PHONE)
    for _ in range(3):
        with pytest.raises(InvalidCode):
            verify_otp(login=PHONE, code=wrong(last_code()))
    now.move(seconds=61)
    request_otp(phone=PHONE)
    fresh = last_code()
    with pytest.raises(InvalidCode):
        verify_otp(login=PHONE, code=wrong(fresh))

    with pytest.raises(TooManyRequests):
        verify_otp(login=PHONE, code=wrong(fresh))
    with pytest.raises(TooManyRequests):
        verify_otp(login=PHONE, code=fresh)


def test_the_block_lifts_after_fifteen_minutes(shop, now):
    request_otp(phone=PHONE)
    for _ in range(5):
        with pytest.raises((InvalidCode, TooManyRequests)):
            verify_otp(login=PHONE, code=wrong(last_code()))
    now.move(seconds=899)
    with pytest.raises(TooManyRequests) as still:
        request_otp(phone=PHONE)

    now.move(seconds=1)
    request_otp(phone=PHONE)

    assert still.value.retry_after == 1
    assert verify_otp(login=PHONE, code=last_code()).shop.id == shop.id


def test_a_right_code_clears_the_count_of_wrong_codes(shop, now):
    request_otp(phone=PHONE)
    for _ in range(4):
        with pytest.raises(InvalidCode):
            verify_otp(login=PHONE, code=wrong(last_code()))
    verify_otp(login=PHONE, code=last_code())
    now.move(seconds=61)
    request_otp(phone=PHONE)

    with pytest.raises(InvalidCode):  # the first wrong code of a fresh count
        verify_otp(login=PHONE, code=wrong(last_code()))


def test_a_wrong_code_counts_even_when_the_transaction_is_rolled_back(shop, now):
    """The API answers a wrong code with a rollback: the count lives outside it."""
    request_otp(phone=PHONE)
    code = last_code()
    commit()  # sent: the outbox row no longer has it
    for _ in range(4):
        with pytest.raises(InvalidCode):
            verify_otp(login=PHONE, code=wrong(code))
        db.session.rollback()

    with pytest.raises(TooManyRequests):
        verify_otp(login=PHONE, code=wrong(code))
    with pytest.raises(TooManyRequests):
        verify_otp(login=PHONE, code=code)


def test_an_unreadable_login_or_code_is_a_wrong_code(shop, now):
    request_otp(phone=PHONE)

    for login, code in (("not a number", "123456"), (PHONE, None), (PHONE, "12 34"),
                        ("", "123456")):
        with pytest.raises(InvalidCode):
            verify_otp(login=login, code=code)


# --- sessions ------------------------------------------------------------------------------


def test_a_token_is_refused_seven_days_after_its_last_use(shop, now):
    token = sign_in().token
    now.move(days=7, seconds=-61)
    session = authenticate(token)  # still valid, and now extended
    assert session.expires_at == now.at + timedelta(days=7)
    now.move(days=7, seconds=1)

    with pytest.raises(NotSignedIn):
        authenticate(token)


def test_a_day_8_token_is_refused(shop, now):
    token = sign_in().token
    now.move(days=8)

    with pytest.raises(NotSignedIn):
        authenticate(token)


def test_a_used_token_is_extended_and_written_at_most_once_a_minute(
        shop, now, count_queries):
    new = sign_in()
    now.move(days=6)
    authenticate(new.token, ip="10.0.0.9", user_agent="Chrome")
    session = db.session.get(ShopSession, new.session.id)
    assert session.expires_at == START + timedelta(days=13)
    assert (session.last_activity, session.ip_address) == (now.at, "10.0.0.9")

    now.move(seconds=30)
    with count_queries() as statements:
        again = authenticate(new.token)
    now.move(days=6, hours=23)

    assert again.last_activity == START + timedelta(days=6)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert authenticate(new.token).shop_id == shop.id  # day 12 23h: alive through use


def test_a_logged_out_token_is_refused(shop, now):
    new = sign_in()
    other = sign_in_again(now)

    logout(new.token)
    logout(new.token)  # twice: nothing more happens
    logout("no-such-token")

    with pytest.raises(NotSignedIn):
        authenticate(new.token)
    assert authenticate(other.token).shop_id == shop.id  # the other device stays in
    assert db.session.get(ShopSession, new.session.id).revoked_at == now.at


def sign_in_again(now: MovedClock) -> NewSession:
    """A second login (another device) a while later."""
    now.move(minutes=2)
    return sign_in()


def test_disabling_a_shop_ends_all_its_sessions(shop, now):
    first, second = sign_in(), sign_in_again(now)

    dealers.save_shop(db.session.get(Store, shop.store_id), shop, {"is_active": False})
    dealers.save_shop(shop.store, shop, {"is_active": True})  # enabled again: still out

    for token in (first.token, second.token):
        with pytest.raises(NotSignedIn):
            authenticate(token)
    assert end_shop_sessions(shop.id) == 0  # both were revoked already


def test_a_disabled_shops_token_is_refused_even_before_its_sessions_are_ended(shop, now):
    token = sign_in().token
    shop.is_active = False  # e.g. switched off in the database
    db.session.flush()

    with pytest.raises(NotSignedIn):
        authenticate(token)


def test_a_removed_shops_token_is_refused(shop, now):
    token = sign_in().token

    dealers.delete_shop(shop)

    with pytest.raises(NotSignedIn):
        authenticate(token)


def test_no_token_or_an_unknown_one_is_refused(shop, now):
    for token in (None, "", "x" * 500, "unknown-token", 12345):
        with pytest.raises(NotSignedIn):
            authenticate(token)


# --- what the database keeps ---------------------------------------------------------------


def every_value(*tables) -> str:
    """Every column of every row of these tables, as one text."""
    db.session.expire_all()
    return "\n".join(repr(tuple(row)) for table in tables
                     for row in db.session.execute(select(table)).all())


def test_no_plaintext_code_or_token_is_stored(shop, now, caplog):
    request_otp(phone=PHONE)
    code = last_code()
    with caplog.at_level("INFO", logger="shop.messages"):
        commit()  # the message is delivered (here, inline through the log provider)
    assert f"*{code}*" in caplog.text

    new = verify_otp(login=PHONE, code=code, ip="10.0.0.7")
    commit()
    authenticate(new.token)

    (message,) = outbox()
    assert message.status == NotificationStatus.SENT
    assert message.data["code"] == "******" and "******" in message.body
    kept = every_value(ShopOtp.__table__, ShopSession.__table__, Notification.__table__)
    assert code not in kept and new.token not in kept
    assert code_hash(PHONE, code) in kept and token_hash(new.token) in kept


def test_a_code_that_waited_past_its_minutes_is_not_sent_and_not_kept(shop, now):
    request_otp(phone=PHONE)
    code = last_code()
    ids = [row.id for row in outbox()]
    db.session.info.pop("committed_callbacks", None)
    now.move(minutes=5)  # e.g. Redis was down; the sweep hands it out now

    counts = notifications.deliver(ids)

    (message,) = outbox()
    assert counts["suppressed"] == 1 and message.status == NotificationStatus.SUPPRESSED
    assert message.data["code"] == "******" and code not in every_value(Notification.__table__)


def test_the_daily_purge_removes_codes_and_sessions_a_day_past_their_expiry(shop, now):
    from shop.jobs.tasks import purge_expired

    sign_in()
    now.move(days=7, minutes=10)
    request_otp(phone=PHONE)
    recent = verify_otp(login=PHONE, code=last_code()).session.id
    now.move(days=1, seconds=1)  # the first code and session: more than a day past expiry

    removed = purge_expired()

    assert removed["ShopOtp"] == 1 and removed["ShopSession"] == 1
    assert list(db.session.scalars(select(ShopSession.id))) == [recent]
    assert db.session.scalar(select(func.count()).select_from(ShopOtp)) == 1
