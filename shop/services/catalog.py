"""The back office's catalog: products (fields, attributes, photos) and stock changes made by
hand, each recorded with its reason and the admin who made it (seed 002's
updateProductStock)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from ..errors import DuplicateValue, InvalidInput, NotFound
from ..extensions import db
from ..models import Product, ProductPhoto, StockMovement, Store
from .access import Scope
from .money import to_money
from .uploads import delete_image, save_image
from .validation import ASCII_DIGITS, clean_text

MAX_STOCK = 10_000_000
MAX_ATTRIBUTES = 30
MAX_PHOTOS = 10
#: Fields save_product reads; absent ones keep their value (or the default on create).
FIELDS = ("code", "name", "description", "category", "price", "is_active", "attributes",
          "low_stock_threshold")


def low_stock_condition():
    """Products that track stock and have no more than their low-stock threshold left."""
    return and_(Product.stock.is_not(None), Product.stock <= Product.low_stock_threshold)


def clean_product_code(raw) -> str:
    """A product code: one line, 1 to 50 characters. Raises InvalidInput."""
    return clean_text(raw, field="code", label="Kode produk", required=True, limit=50,
                      multiline=False)


def clean_count(raw, *, field: str, label: str, limit: int = MAX_STOCK) -> int:
    """A whole number from 0 to `limit`, as an int or ASCII digits. Raises InvalidInput."""
    value = raw
    if isinstance(raw, str):
        text = raw.strip()
        value = int(text) if len(text) <= len(str(limit)) and ASCII_DIGITS.fullmatch(text) \
            else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InvalidInput(f"{label} harus bilangan bulat 0 sampai {limit:,}.".replace(",", "."),
                           fields={field: f"Bilangan bulat 0 sampai {limit}."})
    return value


def clean_stock(raw) -> int | None:
    """A stock level, or None (empty) for a product that does not track stock."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return clean_count(raw, field="stock", label="Stok")


def clean_attributes(raw) -> dict[str, str]:
    """Key/value attributes from a dict or (key, value) pairs; blank pairs are dropped, a key
    twice or a value without a key is refused. Raises InvalidInput."""
    pairs = raw.items() if isinstance(raw, dict) else (raw or [])
    attributes: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise _attribute_error("Atribut tidak valid.")
        key = clean_text(pair[0], field="attributes", label="Nama atribut", limit=50,
                         multiline=False)
        value = clean_text(pair[1], field="attributes", label="Nilai atribut", limit=200,
                           multiline=False)
        if key is None and value is None:
            continue
        if key is None:
            raise _attribute_error(f"Atribut bernilai {value!r} belum diberi nama.")
        if key in attributes:
            raise _attribute_error(f"Atribut {key!r} ditulis dua kali.")
        attributes[key] = value or ""
    if len(attributes) > MAX_ATTRIBUTES:
        raise _attribute_error(f"Maksimal {MAX_ATTRIBUTES} atribut.")
    return attributes


def _attribute_error(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"attributes": message})


def clean_product(values: dict) -> dict:
    """The product fields present in `values`, cleaned. Raises InvalidInput."""
    cleaners = {
        "code": clean_product_code,
        "name": lambda v: clean_text(v, field="name", label="Nama produk", required=True,
                                     limit=200, multiline=False),
        "description": lambda v: clean_text(v, field="description", label="Deskripsi",
                                            limit=5000),
        "category": lambda v: clean_text(v, field="category", label="Kategori", limit=50,
                                         multiline=False),
        "price": _clean_price,
        "is_active": bool,
        "attributes": clean_attributes,
        "low_stock_threshold": lambda v: clean_count(
            v, field="low_stock_threshold", label="Batas stok menipis", limit=1_000_000),
    }
    return {name: cleaners[name](values[name]) for name in FIELDS if name in values}


def _clean_price(raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidInput("Harga wajib diisi.", fields={"price": "Wajib diisi."})
    return to_money(raw, field="price", label="Harga")


def save_product(store: Store, product: Product | None, values: dict, *, actor: str,
                 initial_stock=None) -> Product:
    """Create a product of the store (with its initial stock, if any, recorded as a stock
    movement) or update one; stock itself is changed by adjust_stock only. Raises
    InvalidInput or DuplicateValue."""
    if product is not None and product.store_id != store.id:
        raise NotFound("Produk tidak ditemukan.")
    if product is None:
        for name in ("code", "name", "price"):
            values.setdefault(name, None)
    cleaned = clean_product(values)
    stock = clean_stock(initial_stock) if product is None else None
    if "code" in cleaned:
        _check_code_free(store.id, cleaned["code"], product)
    created = product is None
    if created:
        product = Product(store_id=store.id, stock=None, attributes={})
        db.session.add(product)
    for name, value in cleaned.items():
        setattr(product, name, value)
    _flush_unique_code()
    if created and stock is not None:
        adjust_stock(product, stock, reason="Stok awal", actor=actor)
    return product


def _check_code_free(store_id: int, code: str, product: Product | None) -> None:
    query = select(Product.id).where(Product.store_id == store_id, Product.code == code)
    if product is not None and product.id is not None:
        query = query.where(Product.id != product.id)
    if db.session.scalar(query) is not None:
        raise _duplicate_code(code)


def _duplicate_code(code: str) -> DuplicateValue:
    return DuplicateValue(f"Kode {code} sudah dipakai produk lain di toko ini.",
                          fields={"code": "Kode sudah dipakai produk lain di toko ini."})


def _flush_unique_code() -> None:
    """Flush in a savepoint: a code taken meanwhile by another admin is a DuplicateValue."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DuplicateValue("Kode produk sudah dipakai produk lain di toko ini.",
                             fields={"code": "Kode sudah dipakai."}) from None


def adjust_stock(product: Product, new_stock, *, reason, actor: str) -> StockMovement:
    """Set the product's stock (None: stop tracking, unlimited), recording who, why, and the
    stock before and after. The product's row is locked first (FOR NO KEY UPDATE, as
    checkout's reservation takes it), so "before" is the stock after any checkout that got
    there first, and no reservation is lost. Raises InvalidInput."""
    note = clean_text(reason, field="reason", label="Alasan", required=True, limit=500)
    after = clean_stock(new_stock)
    db.session.flush()
    db.session.refresh(product, ["stock"], with_for_update={"key_share": True})
    before = product.stock
    if before == after:
        shown = "tidak dilacak" if after is None else str(after)
        raise InvalidInput(f"Stok sudah {shown}; tidak ada yang berubah.",
                           fields={"stock": "Sama dengan stok sekarang."})
    product.stock = after
    movement = StockMovement(product_id=product.id, stock_before=before, stock_after=after,
                             reason=note, actor=actor)
    db.session.add(movement)
    db.session.flush()
    return movement


def stock_movements(product: Product, *, limit: int = 100) -> list[StockMovement]:
    """The product's latest stock changes, newest first."""
    return list(db.session.scalars(
        select(StockMovement).where(StockMovement.product_id == product.id)
        .order_by(StockMovement.created_at.desc(), StockMovement.id.desc()).limit(limit)))


def delete_product(product: Product) -> list[str]:
    """Delete a product (its photos and stock history go with it; order lines keep their
    snapshot). Returns the photo files to remove once the deletion is committed."""
    files = [photo.filename for photo in product.photos]
    db.session.delete(product)
    db.session.flush()
    return files


# --- photos ------------------------------------------------------------------------------


def add_photo(product: Product, filename: str, width: int, height: int) -> ProductPhoto:
    """Add an already stored image as the product's last photo. Raises InvalidInput."""
    count = db.session.scalar(select(func.count()).where(ProductPhoto.product_id == product.id))
    if count >= MAX_PHOTOS:
        raise InvalidInput(f"Maksimal {MAX_PHOTOS} foto per produk.",
                           fields={"photos": f"Maksimal {MAX_PHOTOS} foto."})
    photo = ProductPhoto(product_id=product.id, filename=filename, width=width, height=height,
                         position=count)
    db.session.add(photo)
    db.session.flush()
    db.session.expire(product, ["photos"])
    return photo


def add_photos(product: Product, files: Iterable) -> list[ProductPhoto]:
    """Store uploaded images (checked, cleaned, resized by save_image) as the product's
    last photos. All or nothing: on a refusal the images stored so far are removed. Raises
    InvalidInput."""
    files = [f for f in files if f is not None and getattr(f, "filename", "")]
    if not files:
        raise InvalidInput("Pilih minimal satu foto.", fields={"photos": "Wajib diisi."})
    stored = []
    try:
        for upload in files:
            stored.append(save_image(upload, field="photos"))
            add_photo(product, *stored[-1])
    except BaseException:
        for image in stored:
            delete_image(image.filename)
        raise
    return [p for p in product.photos if p.filename in {i.filename for i in stored}]


def get_photo(scope: Scope, photo_id) -> ProductPhoto:
    """A photo of a product of the admin's stores. Raises NotFound (also for other stores)."""
    text = str(photo_id or "")
    found = None
    if text.isascii() and text.isdigit() and len(text) <= 10:
        found = db.session.execute(
            select(ProductPhoto, Product.store_id).join(Product)
            .where(ProductPhoto.id == int(text))).one_or_none()
    if found is None or not scope.allows(found[1]):
        raise NotFound("Foto tidak ditemukan.")
    return found[0]


def move_photo(photo: ProductPhoto, offset: int) -> list[ProductPhoto]:
    """Move a photo earlier (-1) or later (+1) among its product's photos; the first is the
    main photo. Returns the photos in their new order."""
    photos = _photos_of(photo.product_id)
    index = photos.index(photo)
    target = min(max(index + offset, 0), len(photos) - 1)
    photos.insert(target, photos.pop(index))
    _renumber(photo.product_id, photos)
    return photos


def remove_photo(photo: ProductPhoto) -> str:
    """Remove a photo; the others close ranks. Returns its file, to remove once committed."""
    photos = [p for p in _photos_of(photo.product_id) if p.id != photo.id]
    db.session.delete(photo)
    _renumber(photo.product_id, photos)
    return photo.filename


def _photos_of(product_id: int) -> list[ProductPhoto]:
    return list(db.session.scalars(
        select(ProductPhoto).where(ProductPhoto.product_id == product_id)
        .order_by(ProductPhoto.position, ProductPhoto.id)))


def _renumber(product_id: int, photos: Iterable[ProductPhoto]) -> None:
    for position, photo in enumerate(photos):
        photo.position = position
    db.session.flush()
    db.session.expire(db.session.get(Product, product_id), ["photos"])
