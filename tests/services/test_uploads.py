"""Uploaded images: checked by content, stripped of metadata, resized, stored under random
names outside the code tree; and served by GET /uploads/<name> with safe headers."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

import shop
from shop.errors import InvalidInput
from shop.services.uploads import STORED_NAME, delete_image, save_image, upload_folder
from shop.uploads import bp as uploads_bp
from tests.images import image_bytes, jpeg_with_gps, upload


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def stored(folder: Path, name: str) -> Image.Image:
    return Image.open(folder / name)


@pytest.mark.parametrize("fmt, ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp")])
def test_a_photo_is_resized_to_web_size_keeping_its_ratio(folder, fmt, ext):
    image = save_image(upload(image_bytes(fmt, (2400, 1600)), "ANY-NAME.bin"))

    assert (image.width, image.height) == (1200, 800)
    assert image.filename.endswith(ext) and STORED_NAME.fullmatch(image.filename)
    with stored(folder, image.filename) as saved:
        assert (saved.format, saved.size) == (fmt, (1200, 800))


def test_a_small_photo_is_not_enlarged_and_a_tall_one_fits_the_box(folder):
    small = save_image(upload(image_bytes("PNG", (300, 200))))
    tall = save_image(upload(image_bytes("JPEG", (1000, 4000))))

    assert (small.width, small.height) == (300, 200)
    assert (tall.width, tall.height) == (300, 1200)


def test_transparency_of_a_png_is_kept(folder):
    image = save_image(upload(image_bytes("PNG", (50, 50), (0, 0, 0, 0), alpha=True)))

    with stored(folder, image.filename) as saved:
        assert saved.mode == "RGBA" and saved.getpixel((0, 0))[3] == 0


def test_metadata_is_stripped_and_the_orientation_applied(folder):
    data = jpeg_with_gps((1600, 1200))
    assert b"KameraRahasia" in data

    image = save_image(upload(data, "kamera.jpg", "image/jpeg"))

    raw = (folder / image.filename).read_bytes()
    assert b"KameraRahasia" not in raw and b"Exif" not in raw
    with stored(folder, image.filename) as saved:
        assert not saved.getexif() and "exif" not in saved.info
    # Orientation 6 means "rotate to show": the stored photo is upright, 3:4.
    assert (image.width, image.height) == (900, 1200)


def test_a_text_file_renamed_jpg_is_refused(folder):
    fake = upload(b"<?php system($_GET['c']); ?>\n" * 20, "foto.jpg", "image/jpeg")

    with pytest.raises(InvalidInput) as refused:
        save_image(fake, field="photos")

    assert refused.value.message == "File harus foto JPEG, PNG atau WebP."
    assert refused.value.fields == {"photos": "File harus foto JPEG, PNG atau WebP."}
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_real_images_of_other_formats_are_refused(folder, fmt):
    with pytest.raises(InvalidInput, match="JPEG, PNG atau WebP"):
        save_image(upload(image_bytes(fmt, (40, 40)), "foto.png", "image/png"))


def test_a_truncated_image_is_refused(folder):
    data = image_bytes("JPEG", (800, 600))

    with pytest.raises(InvalidInput, match="JPEG, PNG atau WebP"):
        save_image(upload(data[: len(data) // 3]))


def test_a_file_over_5_mb_is_refused_before_it_is_decoded(folder):
    big = image_bytes("PNG", (20, 20)) + b"\0" * (5 * 1024 * 1024)

    with pytest.raises(InvalidInput) as refused:
        save_image(upload(big))

    assert refused.value.message == "Foto terlalu besar (maksimal 5 MB)."


def test_an_empty_file_is_refused(folder):
    with pytest.raises(InvalidInput, match="kosong"):
        save_image(upload(b""))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("size", [(8000, 8000), (100_000, 100_000)],
                         ids=["over-our-limit", "over-pillows-limit"])
def test_a_decompression_bomb_is_refused_without_decoding_it(folder, size):
    bomb = png_header_only(*size)
    assert len(bomb) < 200

    with pytest.raises(InvalidInput) as refused:
        save_image(upload(bomb))

    assert refused.value.message == "Ukuran foto (piksel) terlalu besar."


def test_stored_names_are_random_and_keep_nothing_of_the_upload(folder):
    data = image_bytes("PNG", (30, 30))
    first = save_image(upload(data, "../../etc/passwd.png"))
    second = save_image(upload(data, "../../etc/passwd.png"))

    assert first.filename != second.filename
    assert "passwd" not in first.filename
    assert sorted(os.listdir(folder)) == sorted([first.filename, second.filename])


def test_the_default_folder_is_the_instance_folder_outside_the_code(app, monkeypatch):
    monkeypatch.delitem(app.config, "UPLOAD_FOLDER", raising=False)
    code = Path(shop.__file__).resolve().parent
    root = code.parent

    target = Path(upload_folder()).resolve()

    assert target == Path(app.instance_path).resolve() / "uploads"
    for tree in (code, root / "templates", root / "static"):
        assert not target.is_relative_to(tree)


def test_delete_removes_only_stored_names(folder):
    image = save_image(upload(image_bytes("PNG", (30, 30))))
    outsider = folder.parent / "keep.txt"
    outsider.write_text("x")

    delete_image("../keep.txt")
    delete_image(image.filename)
    delete_image(image.filename)  # already gone: nothing happens

    assert outsider.exists()
    assert not (folder / image.filename).exists()


# --- GET /uploads/<name> -------------------------------------------------------------------


@pytest.fixture
def served(tmp_path):
    """The uploads blueprint on a bare app (the shop registers the same blueprint)."""
    app = Flask("served")
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    app.register_blueprint(uploads_bp)
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs" / ("b" * 32 + ".jpg")).write_bytes(b"private")
    (tmp_path / ("a" * 32 + ".png")).write_bytes(image_bytes("PNG", (10, 10)))
    return app.test_client()


def test_a_stored_image_is_served_with_long_cache_and_nosniff(served):
    answer = served.get("/uploads/" + "a" * 32 + ".png")

    assert answer.status_code == 200
    assert answer.mimetype == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in answer.headers["Cache-Control"]
    assert Image.open(io.BytesIO(answer.data)).size == (10, 10)


@pytest.mark.parametrize("name", [
    "a" * 31 + ".png", "A" * 32 + ".png", "a" * 32 + ".svg", "a" * 32 + ".png.html",
    "proofs%2F" + "b" * 32 + ".jpg", "..%2F" + "a" * 32 + ".png", "a" * 32 + ".jpg",
])
def test_other_names_and_sub_folders_are_not_found(served, name):
    assert served.get("/uploads/" + name).status_code == 404


def test_the_shop_serves_uploads(app, folder, client):
    assert "uploads" in app.blueprints
    image = save_image(upload(image_bytes("PNG", (30, 30))))

    answer = client.get(f"/uploads/{image.filename}")

    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
