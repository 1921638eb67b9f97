"""The OTP login's limits and single use across web processes, on PostgreSQL and Redis.

Several OS processes (spawned, each with its own app, database pool and Redis client, as
gunicorn workers have) call the operations at the same instant, released by one barrier:
requests for one number get exactly the allowed ones through, and 20 verifications of one
valid code open exactly one session. The HTTP endpoints over these are tested with the portal.
Loopback only; every wait has a bound.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Notification, ShopOtp, ShopSession

PHONE = "628123456789"
#: Longest wait for every party at the barrier, and for a child process to finish.
BARRIER_TIMEOUT = 60.0
JOIN_TIMEOUT = 120.0
PROCESSES = 4
ROUNDS = 4  # 3 codes per 10 minutes at 61 s apart, then a round that finds the window full
VERIFIERS_PER_PROCESS = 5  # 4 x 5 = 20 verifications of one code


@pytest.fixture
def redis_url():
    """TEST_REDIS_URL's database, empty before and after."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _worker_app(database_url: str, redis_url: str):
    from tests.conftest import make_test_app

    return make_test_app(database_url, REDIS_URL=redis_url)


def request_rounds(database_url, redis_url, start, barrier, results) -> None:
    """A web process: in each round, at the round's moment, ask for a code for PHONE."""
    from shop import clock
    from shop.errors import TooManyRequests
    from shop.services.otp import request_otp
    from shop.unit_of_work import commit

    outcomes = []
    try:
        app = _worker_app(database_url, redis_url)
        with app.app_context():
            for round_ in range(ROUNDS):
                moment = start + timedelta(seconds=61 * round_)
                clock.now = lambda moment=moment: moment
                barrier.wait(BARRIER_TIMEOUT)
                try:
                    request_otp(phone="0812-3456-789")
                    commit()
                    outcomes.append("sent")
                except TooManyRequests:
                    db.session.rollback()
                    outcomes.append("refused")
            db.session.remove()
            db.engine.dispose()
    except Exception as error:  # shown by the test, never swallowed
        outcomes.append(f"error: {error!r}")
        barrier.abort()
    results.put(outcomes)


def verify_in_threads(database_url, redis_url, code, barrier, results) -> None:
    """A web process with several threads, each verifying the same code at once."""
    from shop.errors import ShopError
    from shop.services.otp import verify_otp
    from shop.unit_of_work import commit

    def verify_once(app) -> str:
        with app.app_context():
            try:
                barrier.wait(BARRIER_TIMEOUT)
                verify_otp(login=PHONE, code=code, ip="127.0.0.1")
                commit()
                return "signed_in"
            except ShopError as error:
                db.session.rollback()
                return error.code
            except Exception as error:
                barrier.abort()
                return f"error: {error!r}"
            finally:
                db.session.remove()

    try:
        app = _worker_app(database_url, redis_url)
        with ThreadPoolExecutor(max_workers=VERIFIERS_PER_PROCESS) as pool:
            futures = [pool.submit(verify_once, app) for _ in range(VERIFIERS_PER_PROCESS)]
            outcomes = [f.result(timeout=BARRIER_TIMEOUT + JOIN_TIMEOUT) for f in futures]
        with app.app_context():
            db.engine.dispose()
    except Exception as error:
        outcomes = [f"error: {error!r}"]
        barrier.abort()
    results.put(outcomes)


def run_processes(target, args: tuple, parties: int) -> list[list[str]]:
    """Run PROCESSES spawned processes of `target(*args, barrier, results)`; their outcomes.
    Every process is waited for, and one still running after JOIN_TIMEOUT is stopped."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(parties)
    results = context.Queue()
    processes = [context.Process(target=target, args=(*args, barrier, results), daemon=True)
                 for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = []
    try:
        for _ in processes:
            outcomes.append(results.get(timeout=BARRIER_TIMEOUT + JOIN_TIMEOUT))
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
    return outcomes


def scalar(statement):
    """A fresh read of what the processes committed."""
    with db.engine.connect() as conn:
        return conn.execute(statement).scalar_one()


@pytest.mark.backends("postgresql")
def test_parallel_requests_from_several_processes_get_exactly_the_allowed_codes(
        app, committed, redis_url):
    committed.dealer_shop()
    db.session.remove()
    start = datetime.now(UTC).replace(microsecond=0)

    outcomes = run_processes(
        request_rounds, (app.config["SQLALCHEMY_DATABASE_URI"], redis_url, start),
        parties=PROCESSES)

    assert not [o for o in sum(outcomes, []) if o.startswith("error")], outcomes
    per_round = [sum(o[round_] == "sent" for o in outcomes) for round_ in range(ROUNDS)]
    # Each round: one code (the others within its 60 s); the 4th round: 3 in 10 minutes.
    assert per_round == [1, 1, 1, 0], outcomes
    assert scalar(select(func.count()).select_from(ShopOtp).where(ShopOtp.phone == PHONE)) == 3
    assert scalar(select(func.count()).select_from(Notification)
                  .where(Notification.template == "otp")) == 3
    import redis

    queued = redis.Redis.from_url(redis_url).lrange("shop:outbox:high", 0, -1)
    assert len(queued) == 3  # every code on the `high` queue's list, to be delivered


@pytest.mark.backends("postgresql")
def test_one_code_verified_twenty_times_at_once_opens_one_session(app, committed, redis_url):
    from shop.services.otp import request_otp
    from shop.services.otp_limits import otp_limits
    from shop.unit_of_work import commit

    committed.dealer_shop()
    db.session.remove()
    requester = _worker_app(app.config["SQLALCHEMY_DATABASE_URI"], redis_url)
    with requester.app_context():
        request_otp(phone=PHONE)
        code = db.session.scalars(select(Notification.data)).one()["code"]
        commit()  # with Redis, delivery waits for a worker: the row keeps the code till then

    outcomes = run_processes(
        verify_in_threads, (app.config["SQLALCHEMY_DATABASE_URI"], redis_url, code),
        parties=PROCESSES * VERIFIERS_PER_PROCESS)

    flat = sorted(sum(outcomes, []))
    assert flat == ["invalid_otp"] * 19 + ["signed_in"], outcomes
    assert scalar(select(func.count()).select_from(ShopSession)) == 1
    assert scalar(select(func.count()).select_from(ShopOtp)
                  .where(ShopOtp.used_at.is_not(None))) == 1
    with requester.app_context():
        # The 19 that came too late knew the code: not guesses, so the number is not blocked.
        assert otp_limits().blocked_for(PHONE, datetime.now(UTC)) == 0
        db.session.remove()
        db.engine.dispose()
