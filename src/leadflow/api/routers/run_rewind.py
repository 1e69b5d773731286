"""``POST /api/v1/runs/{run_id}/rewind``: run time travel for admins and managers (a dry run
unless ``dry_run`` is false); see :mod:`leadflow.access.rewind`."""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.access import rewind as access_rewind
from leadflow.api.data.run_rewind import RewindIn, RewindOut
from leadflow.api.deps import AccessDep
from leadflow.api.params import RowId
from leadflow.api.routes import routed

router = APIRouter(tags=["runs"])


@routed(
    router.post,
    "/runs/{run_id}/rewind",
    "Rewind a run to a node it visited (or a step number); a dry run by default",
    403,
    404,
    409,
)
def rewind_run(access: AccessDep, run_id: RowId, body: RewindIn) -> RewindOut:
    out = access_rewind.rewind_run(
        access.runtime,
        access.principal,
        access.scope,
        run_id,
        access.now(),
        to_node=body.to_node,
        from_step=body.from_step,
        dry_run=body.dry_run,
    )
    return RewindOut.model_validate(access_rewind.rewound_json(out))
