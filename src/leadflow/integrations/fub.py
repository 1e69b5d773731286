"""Follow Up Boss (``api.followupboss.com/v1``): HTTP Basic auth with the account's API key as
the user name and an empty password, and the registered system's ``X-System`` /
``X-System-Key`` headers on every call.

==================  ==========================================================================
operation           calls
==================  ==========================================================================
upsert contact      ``GET /people?email=`` (then ``?phone=``) and ``PUT /people/{id}``, else
                    ``POST /people`` -- searched first, so a repeat finds the one made
read contact        ``GET /people/{id}``; sync writes ``PUT /people/{id}``
note                ``GET /notes?personId=`` (the reference looked for), then ``POST /notes``
tags                ``GET /people/{id}`` and ``PUT /people/{id}`` with the union of tags
task                ``GET /tasks?personId=`` (same name and due date looked for), then
                    ``POST /tasks``
stage               without a pipeline: ``PUT /people/{id}`` ``{"stage": ...}``; with one:
                    ``GET /deals?personId=&pipelineId=``, then ``PUT /deals/{id}`` or
                    ``POST /deals``
==================  ==========================================================================
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadflow.integrations.api import RemoteContact, epoch, marker
from leadflow.integrations.config import FubConfig
from leadflow.integrations.http import CrmError, CrmHttp, items, marked, renamed

_NAMES = {"first_name": "firstName", "last_name": "lastName"}


def fub_headers(config: FubConfig) -> dict[str, str]:
    return {"X-System": config.system, "X-System-Key": config.system_key}


def fub_auth(config: FubConfig) -> tuple[str, str]:
    return (config.api_key, "")


def _person(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict) or not answer.get("id"):
        raise CrmError("Follow Up Boss answered without an id", retryable=False)
    return answer


def _number(value: str) -> int | str:
    """An id as Follow Up Boss's JSON has it: a number when it is all digits."""
    return int(value) if value.isdigit() else value


def _first_value(items: Any) -> str | None:
    for item in items or []:
        if isinstance(item, dict) and item.get("value"):
            return str(item["value"])
    return None


class FubApi:
    crm = "fub"

    def __init__(self, config: FubConfig, http: CrmHttp) -> None:
        self.config = config
        self.http = http

    def _body(self, values: dict[str, Any]) -> dict[str, Any]:
        body = renamed(values, _NAMES)
        if values.get("email"):
            body["emails"] = [{"value": values["email"]}]
        if values.get("phone"):
            body["phones"] = [{"value": values["phone"]}]
        if values.get("tags"):
            body["tags"] = list(values["tags"])
        body.update(values.get("custom") or {})
        return body

    def _find(self, values: dict[str, Any]) -> str | None:
        for key in ("email", "phone"):
            if values.get(key):
                people = items(
                    self.http.request("GET", "/people", params={key: values[key], "limit": 1}),
                    "people",
                )
                if people:
                    return str(people[0]["id"])
        return None

    def upsert_contact(self, values: dict[str, Any], remote_id: str | None) -> str:
        found = remote_id or self._find(values)
        body = self._body(values)
        if found is not None:
            if values.get("tags"):  # FUB replaces tags on PUT unless told to merge
                self.http.request(
                    "PUT", f"/people/{found}", json=body, params={"mergeTags": "true"}
                )
            else:
                self.http.request("PUT", f"/people/{found}", json=body)
            return found
        if values.get("source"):
            body["source"] = values["source"]
        made = self.http.request("POST", "/people", json=body, repeatable=False)
        return str(_person(made)["id"])

    def get_contact(self, remote_id: str) -> RemoteContact:
        found = _person(self.http.request("GET", f"/people/{remote_id}"))
        custom = {k: v for k, v in found.items() if k.startswith("custom")}
        return RemoteContact(
            id=str(found["id"]),
            first_name=found.get("firstName"),
            last_name=found.get("lastName"),
            email=_first_value(found.get("emails")),
            phone=_first_value(found.get("phones")),
            tags=[str(t) for t in found.get("tags") or []],
            stage=found.get("stage"),
            custom=custom,
            updated_at=epoch(found.get("updated")),
        )

    def update_contact(self, remote_id: str, values: dict[str, Any]) -> None:
        self.http.request("PUT", f"/people/{remote_id}", json=self._body(values))

    def add_note(self, remote_id: str, body: str, ref: str) -> str:
        tag = marker(ref)
        notes = self.http.request("GET", "/notes", params={"personId": remote_id, "limit": 100})
        made = marked(notes, "notes", tag)
        if made is not None:
            return made
        answer = self.http.request(
            "POST",
            "/notes",
            json={
                "personId": _number(remote_id),
                "subject": "leadflow",
                "body": f"{body}\n\n{tag}",
            },
            repeatable=False,
        )
        return str(_person(answer)["id"])

    def add_tags(self, remote_id: str, tags: list[str]) -> str:
        person = self.get_contact(remote_id)
        merged = list(dict.fromkeys([*person.tags, *tags]))
        if merged != person.tags:
            self.http.request("PUT", f"/people/{remote_id}", json={"tags": merged})
        return remote_id

    def create_task(
        self, remote_id: str, title: str, body: str | None, due_at: float, ref: str
    ) -> str:
        due = datetime.fromtimestamp(due_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        tasks = self.http.request("GET", "/tasks", params={"personId": remote_id, "limit": 100})
        for task in items(tasks, "tasks"):
            if task.get("name") == title and str(task.get("dueDateTime") or "")[:19] == due[:19]:
                return str(task.get("id"))
        answer = self.http.request(
            "POST",
            "/tasks",
            json={
                "personId": _number(remote_id),
                "name": title,
                "type": "Follow Up",
                "dueDateTime": due,
            },
            repeatable=False,
        )
        return str(_person(answer)["id"])

    def move_stage(
        self, remote_id: str, stage: str, pipeline_id: str | None, name: str | None
    ) -> str:
        if pipeline_id is None:
            person = self.get_contact(remote_id)
            if person.stage != stage:
                self.http.request("PUT", f"/people/{remote_id}", json={"stage": stage})
            return remote_id
        deals = self.http.request(
            "GET", "/deals", params={"personId": remote_id, "pipelineId": pipeline_id}
        )
        found = items(deals, "deals")
        stage_id = _number(stage)
        if found:
            deal = str(found[0]["id"])
            if str(found[0].get("stageId")) != str(stage):
                self.http.request("PUT", f"/deals/{deal}", json={"stageId": stage_id})
            return deal
        answer = self.http.request(
            "POST",
            "/deals",
            json={
                "name": name or "leadflow lead",
                "stageId": stage_id,
                "pipelineId": _number(pipeline_id),
                "peopleIds": [_number(remote_id)],
            },
            repeatable=False,
        )
        return str(_person(answer)["id"])


__all__ = ["FubApi", "fub_auth", "fub_headers"]
