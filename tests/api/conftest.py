"""API tests: the app from ``create_app`` on a real SQLite file under tmp_path, driven through
httpx's ASGI transport by :class:`api_client.ApiClient` (which runs the app's lifespan, as a
server does), with no ``LEADFLOW_*`` settings leaking in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from leadflow.api.app import create_app
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, member_key
from support.stores import upgraded_db
from support.twilio_peer import TwilioPeer, twilio_peer


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("LEADFLOW_"):
            monkeypatch.delenv(name)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return upgraded_db(tmp_path / "api.db")


@pytest.fixture
def app(db_url: str) -> FastAPI:
    return create_app(Settings(db=db_url))


@pytest.fixture
def token(db_url: str) -> str:
    """An admin API key of tenant "acme"."""
    return admin_key(db_url)


@pytest.fixture
def client(app: FastAPI, token: str) -> Iterator[ApiClient]:
    """A client that sends the admin key with every request."""
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[ApiClient]:
    """A client without any key."""
    with ApiClient(app) as c:
        yield c


def _member(app: FastAPI, db_url: str, role: str, name: str) -> Iterator[ApiClient]:
    with ApiClient(app, headers={"Authorization": f"Bearer {member_key(db_url, role, name)}"}) as c:
        yield c


@pytest.fixture
def agent_ann(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    """A client with the key of agent "ann" of tenant "acme"."""
    yield from _member(app, db_url, "agent", "ann")


@pytest.fixture
def agent_bob(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    """A client with the key of agent "bob" of tenant "acme"."""
    yield from _member(app, db_url, "agent", "bob")


@pytest.fixture
def manager(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    """A client with the key of manager "max" of tenant "acme"."""
    yield from _member(app, db_url, "manager", "max")


@pytest.fixture
def peer() -> Iterator[TwilioPeer]:
    """A loopback server speaking Twilio's REST API."""
    with twilio_peer() as p:
        yield p
