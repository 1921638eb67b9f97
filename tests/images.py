"""Image files for upload tests, made in memory with Pillow."""

from __future__ import annotations

import io

from PIL import Image
from werkzeug.datastructures import FileStorage


def image_bytes(fmt: str = "PNG", size=(2400, 1600), color=(200, 30, 30), **save) -> bytes:
    """An image of this format and size, as the bytes of its file."""
    mode = "RGBA" if fmt in ("PNG", "WEBP") and save.pop("alpha", False) else "RGB"
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps(size=(1600, 1200)) -> bytes:
    """A JPEG carrying EXIF metadata (camera, GPS position) and an orientation tag."""
    image = Image.new("RGB", size, (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to show
    exif.get_ifd(0x8825)[2] = (6.0, 10.0, 0.0)  # GPSLatitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, filename: str = "foto.png", content_type: str = "image/png"
           ) -> FileStorage:
    """What Flask hands a view for an uploaded file."""
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)
