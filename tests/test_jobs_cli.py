"""The job commands and the schedule: `flask worker` refuses what it cannot run, and the
`rq cron` configuration registers the sweep every minute and the daily purge."""

from __future__ import annotations

import sys
from datetime import timedelta

import redis
from rq.cron import CronScheduler
from sqlalchemy import func, select

from shop import clock
from shop.extensions import db
from shop.jobs import tasks
from shop.models import LoginAttempt


def test_the_worker_needs_redis_and_says_so(runner):
    done = runner.invoke(args=["worker", "--burst"])
    assert done.exit_code != 0
    assert "REDIS_URL is not set" in done.output


def test_the_worker_refuses_an_unknown_queue(runner):
    done = runner.invoke(args=["worker", "emails", "--burst"])
    assert done.exit_code != 0
    assert "unknown queue(s) emails" in done.output and "high, default, legacy" in done.output


def test_the_schedule_sweeps_every_minute_and_purges_daily():
    sys.modules.pop("shop.jobs.cron", None)  # the config registers when it is imported
    scheduler = CronScheduler(connection=redis.Redis(host="127.0.0.1", port=1))
    scheduler.load_config_from_file("shop.jobs.cron")

    jobs = {job.func: job for job in scheduler._cron_jobs}
    assert set(jobs) == {tasks.sweep_outbox, tasks.purge_expired, tasks.sync_legacy_stock,
                         tasks.resubmit_stalled_orders}  # the ERP's: tests/jobs/test_erp_jobs
    assert jobs[tasks.sweep_outbox].interval == 60
    assert jobs[tasks.purge_expired].cron == "17 3 * * *"
    assert {jobs[f].queue_name for f in (tasks.sweep_outbox, tasks.purge_expired)} == {"default"}


def test_the_sweep_command_reports_what_it_handed_out(runner):
    done = runner.invoke(args=["outbox-sweep"])
    assert done.exit_code == 0, done.output
    assert "0 queued and 0 stuck messages handed out" in done.output


def test_the_daily_purge_deletes_only_expired_login_attempts(database):
    now = clock.now()
    db.session.add_all([
        LoginAttempt(email="a@toko.test", client="127.0.0.1", succeeded=False,
                     created_at=now - timedelta(days=31)),
        LoginAttempt(email="a@toko.test", client="127.0.0.1", succeeded=False,
                     created_at=now - timedelta(days=1)),
    ])
    db.session.commit()

    removed = tasks.purge_expired()

    assert removed["LoginAttempt"] == 1  # (the OTP codes and sessions: tests/services/test_otp.py)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
