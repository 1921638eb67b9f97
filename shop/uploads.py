"""GET /uploads/<name>: the public images (product photos, store logos). Only names the upload
service gives out are served, from the upload folder itself (never a sub-folder such as the
private transfer proofs)."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory, url_for
from werkzeug.routing import BuildError

from .services.uploads import is_stored_name, upload_folder

bp = Blueprint("uploads", __name__)

#: A stored name never changes content (a new upload gets a new name): cache for a year.
MAX_AGE = 365 * 24 * 3600
MIMETYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@bp.get("/uploads/<name>")
def serve(name: str):
    """One stored image, cached for a year, never sniffed as anything but an image."""
    if not is_stored_name(name):
        abort(404)
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
