"""A run's rewind (run time travel) as the API takes and shows it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_STEP = 2**31 - 1


class RewindIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_node: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A node the run visited (give this or from_step).",
    )
    from_step: int | None = Field(
        default=None,
        ge=1,
        le=MAX_STEP,
        description="Replay from this step number of the run's history: the run goes back to "
        "that step's node (give this or to_node).",
    )
    dry_run: bool = Field(
        default=True, description="Only say what would change and be sent again; change nothing."
    )


class BeforeAfter(BaseModel):
    before: str | None
    after: str | None


class RewindChanges(BaseModel):
    status: BeforeAfter
    node: BeforeAfter
    wake_at: BeforeAfter = Field(description="ISO 8601 (UTC) wake times.")


class PathNodeOut(BaseModel):
    node: str
    kind: str
    channel: str | None = Field(description="The message's channel (message nodes).")
    resend: bool = Field(description="The node sends a message again (with a new key).")
    chosen: str | None = Field(description="A branch's or split's expected outcome.")


class ResendOut(BaseModel):
    node: str
    kind: str
    channel: str | None


class RewindOut(BaseModel):
    run_id: int
    dry_run: bool
    from_node: str | None = Field(description="Where the run is (or ended) before the rewind.")
    to_node: str
    from_step: int | None
    changes: RewindChanges
    path: list[PathNodeOut] = Field(
        description="The nodes the run would go through from to_node as far as the engine can "
        "tell without waiting (up to the first wait, exit or the end)."
    )
    resend: list[ResendOut] = Field(
        description="The message nodes on that path: sent again, as new messages (compliance "
        "still applies at dispatch)."
    )
    stops: str = Field(description="Where and why the look-ahead stops.")
    still_queued: list[int] = Field(
        description="Ids of the run's messages queued and not yet sent: a rewind does not "
        "withdraw them (pause the run first: a paused run's messages are suppressed at "
        "dispatch, and it stays paused when rewound)."
    )
    status: str = Field(description="The run's status now (unchanged by a dry run).")
    node: str | None = Field(description="The run's node now (unchanged by a dry run).")
