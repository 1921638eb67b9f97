"""Issue 16's reference for the tracking page: a one-row read rendered by Flask + Jinja.

A plain Flask app with one route, GET /track/<order id>: one SELECT of the order's number,
status, total, recipient and creation time joined with its store's name, rendered by a small
Jinja template (heading, a table of those values, footer); 404 for an unknown id. Served by
`bench/tracking_page.py` with the same gunicorn command as the shop (gthread), against the same
database, so the shop's tracking page can be read as a multiple of "what Flask + Jinja do with
one row" on this machine, in this run.

Database access: psycopg 3 (a dependency of the project; psycopg_pool is not), one autocommit
connection per thread, opened on first use and kept (gunicorn's gthread threads live as long
as their worker, so this is a pool of exactly `threads` connections per worker). Autocommit:
one round trip per page, as the shop's read-only pages do on PostgreSQL. psycopg prepares the
statement on the server after its 5th execution on a connection (its default
`prepare_threshold`), as it does for the shop. The template is held by a DictLoader, so Jinja
compiles it once per process and caches it, as it would a file in `templates/`.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/shop_bench_track \
        gunicorn --worker-class gthread --workers 4 --threads 2 --chdir bench reference_app:app
"""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, abort, render_template
from jinja2 import DictLoader
from psycopg.rows import namedtuple_row

QUERY = (
    "SELECT o.number, o.status, o.total, o.recipient_name, o.created_at, s.name AS store_name"
    " FROM orders o JOIN stores s ON s.id = o.store_id WHERE o.id = %s"
)

PAGE = """<!doctype html>
<html lang="id">
<head><meta charset="utf-8">
<title>Pesanan #{{ order.number }} - {{ order.store_name }}</title></head>
<body>
<h1>{{ order.store_name }}: pesanan #{{ order.number }}</h1>
<table>
  <tr><th>Nomor</th><td>{{ order.number }}</td></tr>
  <tr><th>Status</th><td>{{ order.status }}</td></tr>
  <tr><th>Total</th><td>Rp {{ "{:,.0f}".format(order.total).replace(",", ".") }}</td></tr>
  <tr><th>Penerima</th><td>{{ order.recipient_name }}</td></tr>
  <tr><th>Dibuat</th><td>{{ order.created_at.strftime("%d-%m-%Y %H:%M") }}</td></tr>
</table>
<footer><p>{{ order.store_name }}</p></footer>
</body>
</html>
"""


def create_app(database_url: str | None = None) -> Flask:
    """The reference app on `database_url` (default: the DATABASE_URL environment variable)."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"track.html": PAGE})
    url = database_url or os.environ["DATABASE_URL"]
    local = threading.local()

    def connection() -> psycopg.Connection:
        """This thread's connection, opened again if it broke."""
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(url, autocommit=True,
                                                row_factory=namedtuple_row)
        return conn

    @app.get("/track/<order_id>")
    def track(order_id: str):
        """One order's row, rendered."""
        order = connection().execute(QUERY, (order_id,)).fetchone()
        if order is None:
            abort(404)
        return render_template("track.html", order=order)

    return app


app = create_app()
