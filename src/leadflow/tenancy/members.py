"""Agents from RESO Member rows (CSV or JSON objects keyed by RESO field names)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from leadflow.errors import InvalidInput
from leadflow.model.tenancy import Agent

# RESO Member field -> Agent attribute
MEMBER_FIELDS = {
    "MemberKey": "member_key",
    "MemberFirstName": "first_name",
    "MemberLastName": "last_name",
    "MemberEmail": "email",
    "MemberMobilePhone": "mobile_phone",
    "MemberMlsId": "mls_id",
    "OfficeKey": "office_key",
    "OfficeName": "office_name",
    "MemberStateLicense": "state_license",
    "MemberStatus": "status",
    "TeamKey": "team_key",
}


def agent_from_member(row: Mapping[str, object], tenant_id: str, where: str) -> Agent:
    unknown = sorted(k for k in row if k not in MEMBER_FIELDS and k)
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s) {', '.join(unknown)}")
    values: dict[str, str] = {}
    for field, attr in MEMBER_FIELDS.items():
        value = row.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{where}.{field}: must be text")
        values[attr] = value.strip()
    if "member_key" not in values:
        raise InvalidInput(f"{where}.MemberKey: required")
    agent = Agent(tenant_id, values.pop("member_key"))
    for attr, value in values.items():
        setattr(agent, attr, value)
    return agent


def agents_from_csv(rows: Iterable[Mapping[str, object]], tenant_id: str) -> list[Agent]:
    """Line numbers count the header as line 1."""
    out = [agent_from_member(row, tenant_id, f"line {i}") for i, row in enumerate(rows, start=2)]
    keys = [a.member_key for a in out]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise InvalidInput(f"MemberKey: repeated in the file: {', '.join(dup)}")
    return out


__all__ = ["MEMBER_FIELDS", "agent_from_member", "agents_from_csv"]
