"""Listings (RESO Property): the row model, CSV/JSON import, synthetic listings."""

from leadflow.listings.importer import (
    ParsedListings,
    RejectedRow,
    import_listings,
    parse_csv,
    parse_file,
    parse_json,
)
from leadflow.listings.model import RESO_NAMES, ListingFields, ListingRow, to_listing
from leadflow.listings.synthetic import as_csv_rows, synthetic_listings

__all__ = [
    "RESO_NAMES",
    "ListingFields",
    "ListingRow",
    "ParsedListings",
    "RejectedRow",
    "as_csv_rows",
    "import_listings",
    "parse_csv",
    "parse_file",
    "parse_json",
    "synthetic_listings",
    "to_listing",
]
