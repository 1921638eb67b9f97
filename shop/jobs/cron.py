"""The schedule, for RQ's own cron (RQ 2.4 or later), which enqueues these jobs on time:

    rq cron shop.jobs.cron --url "$REDIS_URL"

Run one of it beside the workers (`flask --app wsgi worker`), which do the work. Only the
enqueueing happens here; it needs no application.
"""

from rq import cron

from .tasks import purge_expired, resubmit_stalled_orders, sweep_outbox, sync_legacy_stock

#: Every minute: rows left `queued` (Redis was down at the commit) and rows stuck in
#: `sending` (a worker died) are handed out again.
cron.register(sweep_outbox, queue_name="default", interval=60, result_ttl=0,
              name="sweep-outbox")
#: Every day at 03:17 UTC: expired login attempts (and, with the portal, OTPs and sessions).
cron.register(purge_expired, queue_name="default", cron="17 3 * * *", result_ttl=0,
              name="purge-expired")
#: Every hour at :05: the legacy ERP's stock into the products' cached stock (seed 004).
cron.register(sync_legacy_stock, queue_name="legacy", cron="5 * * * *", result_ttl=0,
              name="sync-legacy-stock")
#: Every 10 minutes: ERP submissions left queued (Redis down at the approval, a worker
#: killed) are queued again.
cron.register(resubmit_stalled_orders, queue_name="legacy", interval=600, result_ttl=0,
              name="resubmit-stalled-orders")
