"""Settings from the environment (``LEADFLOW_*``), with defaults that run on one machine."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///leadflow.db"
MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    db: str = Field(default=DEFAULT_DB, description="Database URL.")
    batch: int = Field(default=500, ge=1, le=10_000, description="Runs claimed per batch.")
    dispatch_batch: int = Field(default=200, ge=1, le=10_000)
    lease_s: float = Field(default=60.0, gt=0, description="How long a claim is held.")
    poll_s: float = Field(default=0.2, gt=0, description="Idle worker's polling interval.")
    takeover_s: float = Field(
        default=30.0,
        gt=0,
        description="Virtual-clock workers: a holder whose leases stay unchanged this many "
        "seconds of wall time is presumed dead and its work released (same-host holders whose "
        "process is gone are released at once; real-clock leases expire after lease_s).",
    )
    retry_max_attempts: int = Field(default=5, ge=1)
    retry_base_s: float = Field(default=30.0, ge=0)
    retry_max_delay_s: float = Field(default=3600.0, ge=0)
    webhook_allow_private: bool = Field(
        default=False, description="Let webhook nodes call private / loopback addresses."
    )
    default_timezone: str = "America/New_York"
    budget_per_day: int = Field(
        default=10,
        ge=0,
        description="Messages per contact per rolling 24 h across all workflows; 0 = no limit.",
    )
    # Compliance answers to inbound texts (HELP, opt-out and opt-in confirmations).
    sms_brand: str = Field(
        default="Leadflow",
        min_length=1,
        max_length=40,
        description="Brand or program name the compliance texts (HELP, STOP, START) name.",
    )
    sms_help_contact: str = Field(
        default="reply to this number",
        min_length=1,
        max_length=60,
        description='Where a lead gets help, as the HELP answer says it: "for help, <this>" '
        '(e.g. "call 555-0100" or "email help@example.com").',
    )
    sms_frequency: str = Field(
        default="Msg frequency varies",
        min_length=1,
        max_length=40,
        description='How often texts come, e.g. "Up to 4 msgs/week".',
    )
    api_host: str = Field(
        default="127.0.0.1",
        description="Address `leadflow serve` listens on (0.0.0.0 for every interface).",
    )
    api_port: int = Field(default=8080, ge=1, le=65535, description="Port of `leadflow serve`.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (CORS), e.g. "
        '["https://crm.example.com"]; empty = CORS off.',
    )
    rate_limit_per_minute: int = Field(
        default=6000,
        ge=0,
        description="Requests one API key may make per minute (a token bucket: bursts up to "
        "this many, refilled evenly); over it, 429 with Retry-After. 0 = no limit. Counted per "
        "API process.",
    )
    key_cache_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds an API process trusts a key it verified before reading it again: "
        "a key revoked through this process's API stops at once, one revoked elsewhere (the "
        "CLI, another API process) within this time. 0 = read the key on every request.",
    )
    max_body_bytes: int = Field(
        default=10 * MIB,
        ge=1,
        description="Largest request body the API accepts; a larger one gets 413 before it is "
        "read in full.",
    )
