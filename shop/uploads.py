"""GET /uploads/<name>: the public images (product photos, store logos). Only names the upload
service gives out are served, from the upload folder itself (never a sub-folder such as the
private transfer proofs)."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory, url_for
from werkzeug.routing import BuildError

from .services.uploads import RESIZED_WIDTHS, is_stored_name, resized_image, upload_folder

bp = Blueprint("uploads", __name__)

#: A stored name never changes content (a new upload gets a new name): cache for a year.
MAX_AGE = 365 * 24 * 3600
MIMETYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@bp.get("/uploads/<name>")
def serve(name: str):
    """One stored image, cached for a year, never sniffed as anything but an image."""
    if not is_stored_name(name):
        abort(404)
    return _image_response(name)


@bp.get("/uploads/<int:width>/<name>")
def serve_resized(width: int, name: str):
    """A stored image at most `width` (320 or 640) pixels wide, made on the first request
    and kept beside the original; cached for a year like the original."""
    resized = resized_image(name, width) if is_stored_name(name) else None
    if resized is None:
        abort(404)
    return _image_response(resized)


def _image_response(name: str):
    response = send_from_directory(upload_folder(), name, max_age=MAX_AGE,
                                   mimetype=MIMETYPES[name.rsplit(".", 1)[1]])
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def upload_url(name: str | None) -> str | None:
    """The address of a stored image (also before the blueprint is registered)."""
    if not is_stored_name(name):
        return None
    try:
        return url_for("uploads.serve", name=name)
    except BuildError:
        return f"/uploads/{name}"


@bp.app_template_global()
def image_sources(name: str | None, width: int, height: int, *, shown: int = 320) -> dict | None:
    """What an <img> of a stored image needs: `src` (the copy `shown` pixels wide, or the
    original when it is not wider), `srcset` of the copies and the original, and the
    `width` and `height` of `src`, so the page keeps its layout while images load."""
    src = upload_url(name)
    if src is None or width <= 0 or height <= 0:
        return None
    candidates = [w for w in RESIZED_WIDTHS if w < width]
    srcset = [f"{_resized_url(name, w)} {w}w" for w in candidates] + [f"{src} {width}w"]
    shown_width = shown if shown in candidates else width
    if shown_width != width:
        src = _resized_url(name, shown_width)
    return {"src": src, "srcset": ", ".join(srcset), "width": shown_width,
            "height": max(1, round(height * shown_width / width))}


def _resized_url(name: str, width: int) -> str:
    try:
        return url_for("uploads.serve_resized", width=width, name=name)
    except BuildError:
        return f"/uploads/{width}/{name}"
