"""Route declarations that more than one router makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Response

from leadflow.api.problems import problem_responses

F = TypeVar("F", bound=Callable[..., Any])


def delete_route(router: APIRouter, path: str, summary: str, *problems: int) -> Callable[[F], F]:
    """``router``'s DELETE ``path``: 204 No Content, no body; ``problems`` are the statuses it
    may answer with a problem+json instead."""
    return router.delete(
        path,
        summary=summary,
        status_code=204,
        response_class=Response,
        responses=problem_responses(*problems),
    )


def create_route(router: APIRouter, path: str, summary: str, *problems: int) -> Callable[[F], F]:
    """``router``'s POST ``path`` that creates something: 201 Created; ``problems`` are the
    statuses it may answer with a problem+json instead."""
    return router.post(
        path, summary=summary, status_code=201, responses=problem_responses(*problems)
    )


def routed(
    verb: Callable[..., Callable[[Any], Any]], path: str, summary: str, *problems: int
) -> Callable[[F], F]:
    """A route of ``verb`` (``router.get``, ``router.post`` ...) at ``path``, with its summary;
    ``problems`` are the statuses it may answer with a problem+json instead."""
    return verb(path, summary=summary, responses=problem_responses(*problems))
