"""Unbound extension objects, bound to the application by create_app()."""

from __future__ import annotations

from babel import Locale
from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING), session_options={
    # Operations return the rows they wrote; nothing needs a re-read after commit.
    "expire_on_commit": False,
})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


def select_locale() -> Locale | None:
    """Indonesian by default; English when asked for with ?lang=en or the lang cookie (pages
    and the JSON API alike). Outside a request (jobs, the CLI) None: Flask-Babel's default
    locale, Indonesian; messages to customers pick their language themselves."""
    if not has_request_context():
        return None
    wanted = request.args.get("lang") or request.cookies.get("lang")
    # Babel's Locale objects, made once: Flask-Babel takes one as it is, where it would
    # parse a name into a new one for every request.
    return PAGE_LOCALES["en" if wanted == "en" else "id"]


PAGE_LOCALES = {name: Locale.parse(name) for name in ("id", "en")}
