"""Synthetic RESO-shaped listings for tests and demos: the same seed gives the same listings
(plain :mod:`random`, no data files, nothing downloaded)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

_PLACES = (
    ("Austin", "TX", "Travis", ("78701", "78702", "78704", "78745")),
    ("Boston", "MA", "Suffolk", ("02108", "02134", "02215")),
    ("Denver", "CO", "Denver", ("80202", "80205", "80211")),
    ("Portland", "OR", "Multnomah", ("97201", "97209", "97214")),
    ("Raleigh", "NC", "Wake", ("27601", "27603", "27608")),
)
_STREETS = ("Oak", "Maple", "Cedar", "Elm", "Pine", "Lake", "Hill", "Park", "Mill", "Sunset")
_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way")
_SUB_TYPES = ("SingleFamilyResidence", "Condominium", "Townhouse", "Duplex")
_STATUSES = ("Active",) * 6 + ("ActiveUnderContract", "Pending", "Closed", "ComingSoon")
_REMARKS = (
    "Light-filled home close to parks and schools.",
    "Updated kitchen, new roof, move-in ready.",
    "Quiet street, big yard, room to grow.",
    "Walk to shops and transit; low HOA.",
)


def synthetic_listings(
    count: int, seed: int = 0, *, start: int = 1, epoch: float = 1_767_225_600.0
) -> list[dict[str, Any]]:
    """``count`` listings as RESO JSON objects (PascalCase names; ListingKey ``SYN000001``
    on from ``start``). Timestamps are ISO 8601 UTC, at most 60 days before ``epoch``."""
    rnd = random.Random(seed)
    out = []
    for n in range(start, start + count):
        city, state, county, zips = rnd.choice(_PLACES)
        sub_type = rnd.choice(_SUB_TYPES)
        beds = rnd.randint(1, 6)
        price = float(rnd.randrange(150_000, 1_500_000, 5_000))
        number, street = (
            str(rnd.randint(1, 9999)),
            f"{rnd.choice(_STREETS)} {rnd.choice(_SUFFIXES)}",
        )
        postal = rnd.choice(zips)
        status = rnd.choice(_STATUSES)
        stamp = epoch - rnd.randint(0, 60 * 86_400)
        out.append(
            {
                "ListingKey": f"SYN{n:06d}",
                "ListingId": f"MLS{rnd.randint(10**6, 10**7 - 1)}",
                "StandardStatus": status,
                "PropertyType": "Residential",
                "PropertySubType": sub_type,
                "ListPrice": price,
                "OriginalListPrice": price + rnd.choice((0.0, 0.0, 10_000.0, 25_000.0)),
                "ClosePrice": price if status == "Closed" else None,
                "UnparsedAddress": f"{number} {street}, {city}, {state} {postal}",
                "StreetNumber": number,
                "StreetName": street,
                "City": city,
                "StateOrProvince": state,
                "PostalCode": postal,
                "CountyOrParish": county,
                "Latitude": round(rnd.uniform(25.0, 48.0), 5),
                "Longitude": round(rnd.uniform(-123.0, -71.0), 5),
                "BedroomsTotal": beds,
                "BathroomsTotalInteger": max(1, beds - rnd.randint(0, 2)),
                "LivingArea": float(rnd.randrange(600, 5000, 10)),
                "LotSizeAcres": round(rnd.uniform(0.02, 2.0), 2),
                "YearBuilt": rnd.randint(1900, 2025),
                "GarageSpaces": float(rnd.randint(0, 3)),
                "PoolPrivateYN": rnd.random() < 0.15,
                "WaterfrontYN": rnd.random() < 0.05,
                "NewConstructionYN": rnd.random() < 0.1,
                "InternetEntireListingDisplayYN": rnd.random() < 0.9,
                "PublicRemarks": rnd.choice(_REMARKS),
                "ListAgentKey": f"agent-{rnd.randint(1, 20)}",
                "ListOfficeKey": f"office-{rnd.randint(1, 5)}",
                "ModificationTimestamp": _iso(stamp),
                "Photos": [
                    f"https://photos.example.test/SYN{n:06d}/{i}.jpg"
                    for i in range(1, rnd.randint(1, 5) + 1)
                ],
            }
        )
    return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_csv_rows(listings: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV of these listings (flags as Y/N, Photos joined by '|')."""
    header = list(listings[0]) if listings else ["ListingKey"]
    rows = []
    for item in listings:
        row = []
        for name in header:
            value = item.get(name)
            if value is None:
                row.append("")
            elif isinstance(value, bool):
                row.append("Y" if value else "N")
            elif isinstance(value, list):
                row.append("|".join(value))
            else:
                row.append(str(value))
        rows.append(row)
    return header, rows


__all__ = ["as_csv_rows", "synthetic_listings"]
