"""The RQ worker the `worker` command runs: RQ's SimpleWorker, told to stop in a second.

RQ listens for its commands (shutdown, stop-job) on a pub/sub thread that waits up to 60 s
for a message. To stop, RQ unsubscribes and then waits for that thread; redis-py 8's
`stop()` waits for it without a bound. When the thread reads the unsubscribe reply before it
is told to stop, it goes back to waiting, now for a subscription that never comes: the
worker hangs for the full 60 s after "done, quitting". With a 1 s wait the thread still
takes each command the moment it arrives, and a stop never waits more than a second.
"""

from __future__ import annotations

from rq import SimpleWorker

#: How long the pub/sub thread waits for a command before it looks whether it must stop.
COMMAND_WAIT = 1.0


class Worker(SimpleWorker):
    """SimpleWorker runs each job in this process (with the app imported once and its
    database connections kept): ~160 trivial jobs/s here against ~44 for RQ's forking
    Worker, which pays a fork and fresh connections per job."""

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name,
                      self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=COMMAND_WAIT, daemon=True,
            exception_handler=self._pubsub_exception_handler)
