"""GoHighLevel API v2 (``services.leadconnectorhq.com``): Bearer token of a location and the
``Version: 2021-07-28`` header on every call.

==================  ==========================================================================
operation           calls
==================  ==========================================================================
upsert contact      ``POST /contacts/upsert`` (HighLevel matches e-mail / phone itself)
read contact        ``GET /contacts/{id}``; sync writes ``PUT /contacts/{id}``
note                ``GET /contacts/{id}/notes`` (the reference looked for), then
                    ``POST /contacts/{id}/notes``
tags                ``POST /contacts/{id}/tags`` (adding a tag twice keeps one)
task                ``GET /contacts/{id}/tasks`` (the reference looked for), then
                    ``POST /contacts/{id}/tasks``
stage               ``GET /opportunities/search`` (the contact's opportunity in the pipeline),
                    then ``PUT /opportunities/{id}`` or ``POST /opportunities/``
==================  ==========================================================================
"""

from __future__ import annotations

from typing import Any

from leadflow.clock import to_iso
from leadflow.integrations.api import RemoteContact, epoch, marker
from leadflow.integrations.config import GHL_VERSION, GhlConfig
from leadflow.integrations.http import CrmError, CrmHttp, items, marked, renamed

_NAMES = {"first_name": "firstName", "last_name": "lastName", "email": "email", "phone": "phone"}


def ghl_headers(config: GhlConfig) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.api_key}",
        "Version": GHL_VERSION,
        "Accept": "application/json",
    }


def _item(answer: Any, key: str) -> dict[str, Any]:
    found = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(found, dict) or not found.get("id"):
        raise CrmError(f"HighLevel answered without {key}.id", retryable=False)
    return found


class GhlApi:
    crm = "ghl"

    def __init__(self, config: GhlConfig, http: CrmHttp) -> None:
        self.config = config
        self.http = http

    def _body(self, values: dict[str, Any]) -> dict[str, Any]:
        body = renamed(values, _NAMES)
        if values.get("tags"):
            body["tags"] = list(values["tags"])
        if values.get("source"):
            body["source"] = values["source"]
        custom = values.get("custom") or {}
        if custom:
            body["customFields"] = [{"key": k, "field_value": v} for k, v in custom.items()]
        return body

    def upsert_contact(self, values: dict[str, Any], remote_id: str | None) -> str:
        body = {"locationId": self.config.location_id, **self._body(values)}
        answer = self.http.request("POST", "/contacts/upsert", json=body)
        return str(_item(answer, "contact")["id"])

    def get_contact(self, remote_id: str) -> RemoteContact:
        found = _item(self.http.request("GET", f"/contacts/{remote_id}"), "contact")
        custom: dict[str, Any] = {}
        for item in found.get("customFields") or []:
            if isinstance(item, dict) and (item.get("key") or item.get("id")):
                custom[str(item.get("key") or item.get("id"))] = item.get(
                    "field_value", item.get("value")
                )
        return RemoteContact(
            id=str(found["id"]),
            first_name=found.get("firstName"),
            last_name=found.get("lastName"),
            email=found.get("email"),
            phone=found.get("phone"),
            tags=[str(t) for t in found.get("tags") or []],
            custom=custom,
            updated_at=epoch(found.get("dateUpdated")),
        )

    def update_contact(self, remote_id: str, values: dict[str, Any]) -> None:
        self.http.request("PUT", f"/contacts/{remote_id}", json=self._body(values))

    def add_note(self, remote_id: str, body: str, ref: str) -> str:
        tag = marker(ref)
        made = marked(self.http.request("GET", f"/contacts/{remote_id}/notes"), "notes", tag)
        if made is not None:
            return made
        answer = self.http.request(
            "POST",
            f"/contacts/{remote_id}/notes",
            json={"body": f"{body}\n\n{tag}"},
            repeatable=False,
        )
        return str(_item(answer, "note")["id"])

    def add_tags(self, remote_id: str, tags: list[str]) -> str:
        self.http.request("POST", f"/contacts/{remote_id}/tags", json={"tags": tags})
        return remote_id

    def create_task(
        self, remote_id: str, title: str, body: str | None, due_at: float, ref: str
    ) -> str:
        tag = marker(ref)
        made = marked(self.http.request("GET", f"/contacts/{remote_id}/tasks"), "tasks", tag)
        if made is not None:
            return made
        payload = {
            "title": title,
            "body": f"{body}\n\n{tag}" if body else tag,
            "dueDate": to_iso(due_at),
            "completed": False,
        }
        answer = self.http.request(
            "POST", f"/contacts/{remote_id}/tasks", json=payload, repeatable=False
        )
        return str(_item(answer, "task")["id"])

    def move_stage(
        self, remote_id: str, stage: str, pipeline_id: str | None, name: str | None
    ) -> str:
        pipeline = pipeline_id or self.config.pipeline_id
        if not pipeline:
            raise CrmError("move_stage: no pipeline_id (node or connector)", retryable=False)
        found = items(
            self.http.request(
                "GET",
                "/opportunities/search",
                params={
                    "location_id": self.config.location_id,
                    "pipeline_id": pipeline,
                    "contact_id": remote_id,
                },
            ),
            "opportunities",
        )
        if found:
            opportunity = str(found[0]["id"])
            if found[0].get("pipelineStageId") != stage:
                self.http.request(
                    "PUT", f"/opportunities/{opportunity}", json={"pipelineStageId": stage}
                )
            return opportunity
        answer = self.http.request(
            "POST",
            "/opportunities/",
            json={
                "pipelineId": pipeline,
                "locationId": self.config.location_id,
                "name": name or "leadflow lead",
                "pipelineStageId": stage,
                "status": "open",
                "contactId": remote_id,
            },
            repeatable=False,
        )
        return str(_item(answer, "opportunity")["id"])


__all__ = ["GhlApi", "ghl_headers"]
