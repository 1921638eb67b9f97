"""Count the SQL statements of one checkout and one tracking page (run in a subprocess).

Builds the app in this process on DATABASE_URL, listens to the engine's events and drives
the endpoints through Flask's test client. Prints JSON: per scenario the statements sent
(cursor executes, with the first characters of each; an executemany of N rows is one call
but N executions on the server), the transaction control (BEGIN,
COMMIT, ROLLBACK, SAVEPOINT) and the pool's reset-on-return (a ROLLBACK when a transaction is
still open, e.g. after a read-only request).

    DATABASE_URL=postgresql://.../shop_bench python bench/sqlcount.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from shop import create_app  # noqa: E402
from shop.extensions import db  # noqa: E402

LINES = [{"code": "BENCH-A", "qty": 1}, {"code": "BENCH-B", "qty": 2},
         {"code": "BENCH-C", "qty": 3}]


class Recorder:
    def __init__(self):
        self.events: list[str] = []

    def attach(self, engine) -> None:
        def on_execute(conn, cursor, statement, parameters, context, executemany):
            text = " ".join(statement.split())[:110]
            if executemany:
                text = f"[executemany x{len(parameters)}] {text}"
            self.events.append(text)

        event.listen(engine, "before_cursor_execute", on_execute)
        # Savepoints go through the cursor (seen above); BEGIN/COMMIT/ROLLBACK do not.
        for name, label in (("begin", "BEGIN"), ("commit", "COMMIT"), ("rollback", "ROLLBACK")):
            event.listen(engine, name, lambda *a, _label=label: self.events.append(_label))
        event.listen(engine.pool, "reset",
                     lambda *a: self.events.append("(pool reset: ROLLBACK if in a transaction)"))

    def take(self) -> dict:
        events, self.events = self.events, []
        control = [e for e in events
                   if e.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))]
        statements = [e for e in events if e not in control and not e.startswith("(pool")]
        executions = sum(int(e[len("[executemany x"):].split("]")[0])
                         if e.startswith("[executemany") else 1 for e in statements)
        return {"statements": len(statements), "server_executions": executions,
                "transaction_control": len(control), "sequence": events}


def checkout_body(phone: str, key: str | None = None) -> dict:
    body = {"store": "burgerchina", "name": "Budi Bench", "phone": phone,
            "address": "Jl. Sudirman No. 1, Jakarta", "email": "budi@example.com",
            "courier": "JNE Regular", "payment_method": "bank_transfer", "items": LINES}
    if key:
        body["idempotency_key"] = key
    return body


def main() -> None:
    app = create_app()
    recorder = Recorder()
    with app.app_context():
        recorder.attach(db.engine)
    client = app.test_client()
    # Warm up: first connection, dialect initialisation, template compilation.
    warm = client.post("/api/orders/create-from-checkout", json=checkout_body("081100000001"))
    assert warm.status_code == 201, warm.get_data(as_text=True)
    client.get("/track/" + warm.get_json()["order"]["id"])
    recorder.take()

    results: dict = {}
    scenarios = [
        ("checkout, new phone, 3 lines", checkout_body("081100000002"), 201),
        ("checkout, known phone, 3 lines", checkout_body("081100000002"), 201),
        ("checkout with idempotency key", checkout_body("081100000003", "bench-sqlcount-1"),
         201),
        ("same idempotency key again (replay)",
         checkout_body("081100000003", "bench-sqlcount-1"), 200),
    ]
    order_id = None
    for name, body, expected in scenarios:
        response = client.post("/api/orders/create-from-checkout", json=body)
        results[name] = recorder.take() | {"status": response.status_code}
        assert response.status_code == expected, response.get_data(as_text=True)
        order_id = order_id or response.get_json()["order"]["id"]
    response = client.get(f"/track/{order_id}")
    results["tracking page"] = recorder.take() | {"status": response.status_code}
    response = client.get("/track/c" + "0" * 25)
    results["tracking page, unknown id"] = recorder.take() | {"status": response.status_code}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
