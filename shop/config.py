"""Settings read from the environment, with embedded defaults that need no setup."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - the refused default
#: The values SHOP_ENV may take. Anything else is refused rather than read as development:
#: `SHOP_ENV=Production` must not quietly run with the default secret. Tests need no value of
#: their own; they set Flask's TESTING.
ENV_NAMES = ("development", "production")


class ConfigError(RuntimeError):
    """The environment asks for something the application cannot run with."""


def _sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the settings: embedded defaults, then the environment, then overrides."""
    env = os.environ
    instance = Path(instance_path)
    config: dict = {
        "ENV_NAME": env.get("SHOP_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(
            env.get("DATABASE_URL", f"sqlite:///{instance / 'shop.db'}")
        ),
        "LEGACY_DATABASE_URL": _sqlalchemy_url(
            env.get("LEGACY_DATABASE_URL", f"sqlite:///{instance / 'legacy.db'}")
        ),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "WHATSAPP_PROVIDER": env.get("WHATSAPP_PROVIDER", "log"),
        "WHATSAPP_GATEWAY_URL": env.get("WHATSAPP_GATEWAY_URL", ""),
        "WHATSAPP_GATEWAY_TOKEN": env.get("WHATSAPP_GATEWAY_TOKEN", ""),
        #: The WhatsApp Business Cloud API (WHATSAPP_PROVIDER=cloudapi); the token above is
        #: its access token.
        "WHATSAPP_CLOUD_API_URL": env.get("WHATSAPP_CLOUD_API_URL",
                                          "https://graph.facebook.com/v21.0"),
        "WHATSAPP_CLOUD_PHONE_NUMBER_ID": env.get("WHATSAPP_CLOUD_PHONE_NUMBER_ID", ""),
        #: Inbound messages (POST /api/whatsapp/webhook): the generic gateway's Bearer token,
        #: and the Cloud API's verify token (GET handshake) and app secret (signature). Empty
        #: refuses that format.
        "WHATSAPP_WEBHOOK_TOKEN": env.get("WHATSAPP_WEBHOOK_TOKEN", ""),
        "WHATSAPP_VERIFY_TOKEN": env.get("WHATSAPP_VERIFY_TOKEN", ""),
        "WHATSAPP_APP_SECRET": env.get("WHATSAPP_APP_SECRET", ""),
        #: Calls a minute per bot API key (/api/bot/*).
        "BOT_API_RATE_LIMIT": env.get("BOT_API_RATE_LIMIT", "120 per minute"),
        #: The support chat's model (POST /api/bot/chat, /store/<slug>/chat) through the
        #: Messages API; no key answers 503. The base URL is for a proxy or a local stand-in.
        "ANTHROPIC_API_KEY": env.get("ANTHROPIC_API_KEY", ""),
        "ANTHROPIC_BASE_URL": env.get("ANTHROPIC_BASE_URL", ""),
        "CHAT_MODEL": env.get("CHAT_MODEL", "claude-sonnet-4-5"),
        "CHAT_MAX_TOKENS": int(env.get("CHAT_MAX_TOKENS", "1024")),
        #: Messages a minute per address on the storefront's chat (each one costs a model call).
        "CHAT_RATE_LIMIT": env.get("CHAT_RATE_LIMIT", "10 per minute"),
        #: Email to customers who gave an address: smtp://, smtp+starttls:// or smtps://
        #: (user:password@host:port); empty sends no email.
        "SMTP_URL": env.get("SMTP_URL", ""),
        "SMTP_SENDER": env.get("SMTP_SENDER", "Toko <no-reply@localhost>"),
        #: Delivery: attempts before a message is failed, the first wait before a retry
        #: (each next wait is four times longer), how long a claimed message may stay
        #: `sending` before the sweep hands it out again.
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "6")),
        "NOTIFY_RETRY_SECONDS": float(env.get("NOTIFY_RETRY_SECONDS", "30")),
        "NOTIFY_SENDING_TIMEOUT": int(env.get("NOTIFY_SENDING_TIMEOUT", "300")),
        #: Seconds a drain job that emptied its outbox list waits for the next commits' rows
        #: (unless a job waits on some queue) before it ends; 0: it ends at once.
        "NOTIFY_DRAIN_LINGER": float(env.get("NOTIFY_DRAIN_LINGER", "1")),
        #: Order confirmations one store sends one number in an hour; more are suppressed
        #: (anyone can order with a stranger's number).
        "NOTIFY_CONFIRMATIONS_PER_HOUR": int(env.get("NOTIFY_CONFIRMATIONS_PER_HOUR", "5")),
        #: Bulk messages: how many go out per minute.
        "BULK_RATE_PER_MINUTE": int(env.get("BULK_RATE_PER_MINUTE", "30")),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "true").lower() != "false",
        "CHECKOUT_RATE_LIMIT": env.get("CHECKOUT_RATE_LIMIT", "60 per minute"),
        #: Calls of the dealer portal's JSON API one shop (its bearer session) may make.
        "PORTAL_API_RATE_LIMIT": env.get("PORTAL_API_RATE_LIMIT", "60 per minute"),
        #: The cookie that keeps a dealer's session token on the portal pages: HttpOnly,
        #: SameSite=Lax, Secure as SESSION_COOKIE_SECURE says.
        "PORTAL_COOKIE_NAME": "portal_session",
        #: The dealers' OTP login (seed 004): a code is valid OTP_VALIDITY_SECONDS; a number
        #: may ask OTP_REQUESTS_PER_WINDOW codes per OTP_REQUEST_WINDOW_SECONDS, at least
        #: OTP_COOLDOWN_SECONDS apart; OTP_MAX_WRONG wrong codes block it for
        #: OTP_BLOCK_SECONDS; a session lasts OTP_SESSION_DAYS, extended while used.
        "OTP_VALIDITY_SECONDS": int(env.get("OTP_VALIDITY_SECONDS", "300")),
        "OTP_REQUESTS_PER_WINDOW": int(env.get("OTP_REQUESTS_PER_WINDOW", "3")),
        "OTP_REQUEST_WINDOW_SECONDS": int(env.get("OTP_REQUEST_WINDOW_SECONDS", "600")),
        "OTP_COOLDOWN_SECONDS": int(env.get("OTP_COOLDOWN_SECONDS", "60")),
        "OTP_MAX_WRONG": int(env.get("OTP_MAX_WRONG", "5")),
        "OTP_BLOCK_SECONDS": int(env.get("OTP_BLOCK_SECONDS", "900")),
        "OTP_SESSION_DAYS": int(env.get("OTP_SESSION_DAYS", "7")),
        #: Transfer proofs a client address may send from tracking pages.
        "PROOF_RATE_LIMIT": env.get("PROOF_RATE_LIMIT", "10 per hour"),
        #: "Minta perubahan" and "Batalkan pesanan" on tracking pages, per client and order.
        "SELF_SERVICE_RATE_LIMIT": env.get("SELF_SERVICE_RATE_LIMIT", "10 per hour"),
        #: Product photos, logos and transfer proofs, outside the code tree.
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER", str(instance / "uploads")),
        #: The largest image accepted (photos, logos, transfer proofs).
        "UPLOAD_MAX_BYTES": 5 * 1024 * 1024,
        #: The largest multipart form (a few photos, or a CSV of 50,000 customers).
        "UPLOAD_REQUEST_MAX_BYTES": 24 * 1024 * 1024,
        "SQL_ECHO": env.get("SQL_ECHO", "") == "1",
        #: How many proxies (load balancers) stand before the app and set X-Forwarded-*.
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "0") or 0),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ["id", "en"],
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
    if overrides:
        config.update(overrides)
    # Derived after the overrides, so that overriding REDIS_URL or ENV_NAME carries through.
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    config.setdefault("SESSION_COOKIE_SECURE", config["ENV_NAME"] == "production")
    check_config(config)
    return config


def check_config(config: dict) -> None:
    """Refuse an unknown SHOP_ENV, and production with settings that are only safe on a laptop.
    Raises ConfigError."""
    if config["ENV_NAME"] not in ENV_NAMES:
        raise ConfigError(
            f"SHOP_ENV={config['ENV_NAME']!r} is not a known environment; use one of: "
            + ", ".join(ENV_NAMES)
        )
    if config["WHATSAPP_PROVIDER"] not in ("log", "http", "cloudapi"):
        raise ConfigError(
            f"WHATSAPP_PROVIDER={config['WHATSAPP_PROVIDER']!r} is not known; use log, http "
            "or cloudapi")
    if config["WHATSAPP_PROVIDER"] == "http" and not config["WHATSAPP_GATEWAY_URL"]:
        raise ConfigError("WHATSAPP_PROVIDER=http needs WHATSAPP_GATEWAY_URL")
    if config["WHATSAPP_PROVIDER"] == "cloudapi" and not (
            config["WHATSAPP_CLOUD_PHONE_NUMBER_ID"] and config["WHATSAPP_GATEWAY_TOKEN"]):
        raise ConfigError("WHATSAPP_PROVIDER=cloudapi needs WHATSAPP_CLOUD_PHONE_NUMBER_ID and "
                          "WHATSAPP_GATEWAY_TOKEN (the access token)")
    if config["ENV_NAME"] != "production":
        return
    if config["SECRET_KEY"] in ("", DEFAULT_SECRET_KEY) or len(config["SECRET_KEY"]) < 16:
        raise ConfigError("SECRET_KEY must be set to a long random value in production")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigError("DATABASE_URL must point at PostgreSQL in production")
    if not config["PUBLIC_BASE_URL"].startswith("https://"):
        # Links in WhatsApp messages must not come from a client's Host header.
        raise ConfigError("PUBLIC_BASE_URL must be the shop's https:// address in production")
    if config["RATELIMIT_ENABLED"] and config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        # In memory, every web process counts on its own: N workers allow N times the limit.
        raise ConfigError(
            "REDIS_URL must be set in production, so that all web processes share the rate "
            "limits (or turn them off with RATELIMIT_ENABLED=false)"
        )
