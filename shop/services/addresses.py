"""Shipping addresses in the parts couriers ask for (seed 003's address fields and the
kecamatan): the street line, district, city, province (from the official list) and postal
code, joined into one line wherever a message or a label shows them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidInput
from ..template_i18n import gettext as _
from .validation import clean_text, run_checks

#: The 38 provinces of Indonesia (Kemendagri, 2022), as shoppers pick them.
PROVINCES = (
    "Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Kepulauan Riau", "Jambi",
    "Sumatera Selatan", "Kepulauan Bangka Belitung", "Bengkulu", "Lampung", "DKI Jakarta",
    "Jawa Barat", "Banten", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur", "Bali",
    "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Barat", "Kalimantan Tengah",
    "Kalimantan Selatan", "Kalimantan Timur", "Kalimantan Utara", "Sulawesi Utara",
    "Gorontalo", "Sulawesi Tengah", "Sulawesi Barat", "Sulawesi Selatan", "Sulawesi Tenggara",
    "Maluku", "Maluku Utara", "Papua", "Papua Barat", "Papua Barat Daya", "Papua Selatan",
    "Papua Tengah", "Papua Pegunungan",
)
_PROVINCE_BY_KEY = {name.casefold(): name for name in PROVINCES}
POSTAL_CODE = re.compile(r"[1-9][0-9]{4}")
PART_MAX = 100


@dataclass(frozen=True)
class AddressParts:
    """The parts after the street line; each may be empty where a channel asks for none."""

    district: str | None = None
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None


def clean_province(value) -> str | None:
    """One of PROVINCES (any letter case), or None. Raises InvalidInput."""
    text = clean_text(value, field="province", label=_("Provinsi"), limit=PART_MAX,
                      multiline=False)
    if text is None:
        return None
    name = _PROVINCE_BY_KEY.get(" ".join(text.split()).casefold())
    if name is None:
        raise InvalidInput(_("Provinsi tidak dikenal."),
                           fields={"province": _("Pilih provinsi dari daftar.")})
    return name


def clean_postal_code(value) -> str | None:
    """Five digits, the first not 0 (Indonesian kode pos), or None. Raises InvalidInput."""
    text = clean_text(value, field="postal_code", label=_("Kode pos"), limit=PART_MAX,
                      multiline=False)
    if text is None:
        return None
    if not POSTAL_CODE.fullmatch(text):
        raise InvalidInput(_("Kode pos tidak valid."),
                           fields={"postal_code": _("Kode pos terdiri dari 5 angka.")})
    return text


def clean_address_parts(district, city, province, postal_code, *,
                        required: bool = False) -> AddressParts:
    """The district, city, province and postal code, checked together so every field's
    error is reported at once; district, city and province are required when `required`.
    Raises InvalidInput."""
    checks = {
        "district": lambda: clean_text(district, field="district", label=_("Kecamatan"),
                                       required=required, limit=PART_MAX, multiline=False),
        "city": lambda: clean_text(city, field="city", label=_("Kota/Kabupaten"),
                                   required=required, limit=PART_MAX, multiline=False),
        "province": lambda: _required(clean_province(province), required, "province",
                                      _("Provinsi")),
        "postal_code": lambda: clean_postal_code(postal_code),
    }
    return AddressParts(**run_checks(checks))


def _required(value: str | None, required: bool, field: str, label: str) -> str | None:
    if required and value is None:
        raise InvalidInput(_("%(label)s wajib diisi.", label=label),
                           fields={field: _("Wajib diisi.")})
    return value


def address_line(street: str | None, district: str | None = None, city: str | None = None,
                 province: str | None = None, postal_code: str | None = None) -> str:
    """"Jl. Sudirman 1, Kec. Setiabudi, Jakarta Selatan, DKI Jakarta 12190": the parts given,
    in the order a courier reads them, on one line."""
    parts = [" ".join((street or "").split())]
    if district:
        parts.append(district if district.lower().startswith("kec") else f"Kec. {district}")
    parts.append(city or "")
    parts.append(" ".join(p for p in (province, postal_code) if p))
    return ", ".join(p for p in parts if p)
