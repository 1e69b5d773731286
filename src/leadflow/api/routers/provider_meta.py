"""``/webhooks/meta``: Meta's page webhook (Messenger and Instagram messages, Lead Ads leads).

Not under ``/api/v1`` and not behind an API key. ``GET`` is Meta's subscription check: with
``hub.mode=subscribe`` and ``hub.verify_token`` equal to ``LEADFLOW_META_VERIFY_TOKEN`` the
``hub.challenge`` is echoed, anything else is a 403. ``POST`` must carry a valid
``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with ``LEADFLOW_META_APP_SECRET``); a
missing or forged signature, or the same signed body again within ten minutes (a replay), is a
403 and changes nothing. A body that could not be handled is forgotten again, so Meta's retry is
not taken for a replay: a Lead Ads lead the Graph API cannot give now answers 503 (Meta
redelivers; what was recorded is recorded once). Entries of pages no tenant registered are
dropped (200, logged by page id). Refusals are logged without the body, secret or signature.

These routes speak Meta's protocol, not the API's JSON, so they are left out of the OpenAPI
document.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from leadflow.access import meta as service
from leadflow.api.deps import get_runtime
from leadflow.channels.meta_messenger import graph_client
from leadflow.channels.meta_signature import HEADER

router = APIRouter(prefix="/webhooks/meta", include_in_schema=False)


@router.get("")
async def verify(request: Request) -> Response:
    """Meta's subscription check."""
    rt = get_runtime(request)
    q = request.query_params
    answer = service.subscription_challenge(
        rt.settings, q.get("hub.mode"), q.get("hub.verify_token"), q.get("hub.challenge")
    )
    return Response(answer, media_type="text/plain")


@router.post("")
async def receive(request: Request) -> Response:
    """Messenger messages and Lead Ads leads of the registered pages."""
    rt = get_runtime(request)
    body = await request.body()
    signature = request.headers.get(HEADER)

    def work() -> Response:
        now = rt.clock.now()
        digest = service.check_signature(rt.store, rt.settings, signature, body, now)
        graph = graph_client(rt.settings)
        try:
            done = service.receive(rt.store, graph, body, now)
        except BaseException:
            rt.store.forget_signature(digest)  # Meta's retry is the very same signed body
            raise
        finally:
            graph.close()
        summary: dict[str, Any] = {
            "messages": done.messages,
            "leads": done.leads,
            "duplicate_leads": done.duplicate_leads,
            "dropped": done.dropped,
            "rejected": done.rejected,
        }
        if done.failed:  # Meta sends the post again: what was recorded stays recorded once
            rt.store.forget_signature(digest)
            summary["failed"] = done.failed
            return JSONResponse(summary, status_code=503, headers={"Retry-After": "60"})
        return JSONResponse(summary)

    return await run_in_threadpool(work)
