"""Uploaded images (product photos, store logos, transfer proofs): checked by their content
with Pillow, stripped of metadata, resized for the web and stored under random names in an
upload folder outside the code tree."""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from typing import NamedTuple

from flask import current_app
from PIL import Image, ImageOps

from ..errors import InvalidInput
from ..template_i18n import gettext as _
from .labels import N_

MAX_BYTES = 5 * 1024 * 1024
#: Largest side of a stored image, in pixels.
WEB_SIZE = 1200
#: More pixels than any photo of a product needs: a small file that decodes to a huge image
#: (a decompression bomb) is refused before it is decoded.
MAX_PIXELS = 40_000_000
#: Formats taken, by what Pillow reads in the file (never by its name or content type).
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
#: A stored name: 32 random hex characters and one of the extensions.
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp)")
NOT_AN_IMAGE = N_("File harus foto JPEG, PNG atau WebP.")
#: Widths of the smaller copies of a stored image that the storefront asks for (cards, the
#: product page); no other width is ever made, so the copies on disk stay bounded.
RESIZED_WIDTHS = (320, 640)


class StoredImage(NamedTuple):
    """A stored image: its file name in the upload folder and its size in pixels."""

    filename: str
    width: int
    height: int


def upload_folder() -> str:
    """The folder of public uploads: app.config["UPLOAD_FOLDER"], else instance/uploads."""
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(
        current_app.instance_path, "uploads")


def save_image(file_storage, *, max_bytes: int | None = None, width: int = WEB_SIZE,
               folder: str | None = None, field: str = "image") -> StoredImage:
    """Check, clean, resize (largest side at most `width`, ratio kept) and store an uploaded
    JPEG, PNG or WebP under a random name; `max_bytes` defaults to UPLOAD_MAX_BYTES (5 MB).
    Raises InvalidInput."""
    limit = max_bytes or current_app.config.get("UPLOAD_MAX_BYTES") or MAX_BYTES
    data = _read_bounded(file_storage, limit, field)
    image = _decode(data, field)
    clean = _web_copy(image, width)
    fmt = image.format
    name = secrets.token_hex(16) + EXTENSIONS[fmt]
    target = folder or upload_folder()
    os.makedirs(target, exist_ok=True)
    path = os.path.join(target, name)
    try:
        with open(path, "xb") as out:
            clean.save(out, format=fmt, **_save_options(fmt))
    except BaseException:
        _remove(path)
        raise
    return StoredImage(name, clean.width, clean.height)


def delete_image(filename: str | None, *, folder: str | None = None) -> None:
    """Remove a stored image and its resized copies (a name that is not one of ours, or a
    missing file, is ignored)."""
    if filename and STORED_NAME.fullmatch(filename):
        target = folder or upload_folder()
        _remove(os.path.join(target, filename))
        for width in RESIZED_WIDTHS:
            _remove(os.path.join(target, _resized_name(filename, width)))


def resized_image(filename: str, width: int) -> str | None:
    """The name of a copy of a stored image at most `width` (one of RESIZED_WIDTHS) pixels
    wide, ratio kept, in the upload folder beside the original: made on the first request
    (also for photos stored before copies existed) and kept; None when there is no such
    stored image.

    Made when first asked for rather than at upload: every stored photo gets its copies
    without a change to the upload paths (back office, imports, the demo) or a backfill, and
    a width nobody asks for costs nothing. Written to a temporary name and renamed, so a
    request racing the first one never serves half a file."""
    if width not in RESIZED_WIDTHS or not is_stored_name(filename):
        return None
    folder = upload_folder()
    name = _resized_name(filename, width)
    if os.path.isfile(os.path.join(folder, name)):
        return name
    original = os.path.join(folder, filename)
    if not os.path.isfile(original):
        return None
    with Image.open(original, formats=list(EXTENSIONS)) as image:
        fmt = image.format
        image.load()
        copy = image.copy()
    copy.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
    partial = os.path.join(folder, f"{name}.{secrets.token_hex(4)}.part")
    try:
        with open(partial, "xb") as out:
            copy.save(out, format=fmt, **_save_options(fmt))
        os.replace(partial, os.path.join(folder, name))
    except BaseException:
        _remove(partial)
        raise
    return name


def _resized_name(filename: str, width: int) -> str:
    """'<hex>-w320.jpg' for '<hex>.jpg': never a stored name, so never served as one."""
    stem, ext = filename.rsplit(".", 1)
    return f"{stem}-w{width}.{ext}"


def is_stored_name(name: str | None) -> bool:
    """Whether this is the name of a stored image (random hex and our extension)."""
    return bool(name) and STORED_NAME.fullmatch(name) is not None


def _read_bounded(file_storage, max_bytes: int, field: str) -> bytes:
    stream = getattr(file_storage, "stream", file_storage)
    if stream is None or not hasattr(stream, "read"):
        raise InvalidInput(_("Pilih file foto."), fields={field: _("Wajib diisi.")})
    data = stream.read(max_bytes + 1)
    if not data:
        raise InvalidInput(_("File foto kosong."), fields={field: _("File kosong.")})
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g} MB"
        raise InvalidInput(_("Foto terlalu besar (maksimal %(limit)s).", limit=limit),
                           fields={field: _("Maksimal %(limit)s.", limit=limit)})
    return data


def _decode(data: bytes, field: str) -> Image.Image:
    """The image's first frame, fully decoded; anything Pillow cannot read as one of the
    three formats, or that is too big once decoded, is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(EXTENSIONS))
            if image.width * image.height > MAX_PIXELS:
                raise _too_many_pixels(field)
            image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field) from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError):
        raise _not_an_image(field) from None
    if image.format not in EXTENSIONS:
        raise _not_an_image(field)
    return image


def _too_many_pixels(field: str) -> InvalidInput:
    return InvalidInput(_("Ukuran foto (piksel) terlalu besar."),
                        fields={field: _("Resolusi foto terlalu besar.")})


def _not_an_image(field: str) -> InvalidInput:
    message = _(NOT_AN_IMAGE)
    return InvalidInput(message, fields={field: message})


def _web_copy(image: Image.Image, width: int) -> Image.Image:
    """Upright (EXIF orientation applied), in a mode the format can save, at most `width`
    pixels on its largest side, and without any metadata (EXIF, XMP, comments, GPS)."""
    fmt = image.format
    upright = ImageOps.exif_transpose(image)
    alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if fmt == "JPEG":
        mode = "L" if upright.mode == "L" else "RGB"
    else:
        mode = "RGBA" if alpha else ("L" if upright.mode == "L" else "RGB")
    converted = upright.convert(mode) if upright.mode != mode else upright.copy()
    converted.thumbnail((width, width), Image.Resampling.LANCZOS)
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    clean.info = {}
    return clean


def _save_options(fmt: str) -> dict:
    if fmt == "JPEG":
        return {"quality": 85, "optimize": True, "progressive": True}
    if fmt == "WEBP":
        return {"quality": 85, "method": 4}
    return {"optimize": True}


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
