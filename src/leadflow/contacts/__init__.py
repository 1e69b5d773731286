"""Contacts: CSV import with RESO Contact column names, and time-zone inference."""

from leadflow.contacts.importer import (
    US_STATE_TIME_ZONES,
    ImportResult,
    RejectedRow,
    infer_time_zone,
    parse_contacts_csv,
)

__all__ = [
    "US_STATE_TIME_ZONES",
    "ImportResult",
    "RejectedRow",
    "infer_time_zone",
    "parse_contacts_csv",
]
