"""GET /uploads/<name>: the public images (product photos, store logos). Only names the upload
service gives out are served, from the upload folder itself (never a sub-folder such as the
private transfer proofs)."""

from __future__ import annotations

from flask import Blueprint, abort, g, has_request_context, send_from_directory, url_for
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


def _upload_folder_url() -> str:
    """'/uploads/' as this request addresses it, built once per request: a page of 24
    cards would otherwise spend more in url_for than in the cards themselves."""
    if not has_request_context():
        return upload_url("0" * 32 + ".jpg")[:-36]
    if "upload_folder_url" not in g:
        g.upload_folder_url = upload_url("0" * 32 + ".jpg")[:-36]
    return g.upload_folder_url


@bp.app_template_global()
def image_sources(name: str | None, width: int, height: int, *, shown: int = 320) -> dict | None:
    """What an <img> of a stored image needs: `src` (the copy `shown` pixels wide, or the
    original when it is not wider), `srcset` of the copies and the original, and the
    `width` and `height` of `src`, so the page keeps its layout while images load."""
    if not is_stored_name(name) or width <= 0 or height <= 0:
        return None
    # The addresses of the routes above, built by hand from the folder's (see
    # _upload_folder_url): /uploads/<name> and /uploads/<width>/<name>.
    folder = _upload_folder_url()
    src = folder + name
    candidates = [w for w in RESIZED_WIDTHS if w < width]
    srcset = [f"{folder}{w}/{name} {w}w" for w in candidates] + [f"{src} {width}w"]
    shown_width = shown if shown in candidates else width
    if shown_width != width:
        src = f"{folder}{shown_width}/{name}"
    return {"src": src, "srcset": ", ".join(srcset), "width": shown_width,
            "height": max(1, round(height * shown_width / width))}
