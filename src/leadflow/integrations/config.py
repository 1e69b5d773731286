"""A tenant's connector configuration for each CRM, checked by pydantic, and its masked form.

The secrets (API keys, the FUB system key) are stored with the connector and used for calls and
for checking webhook signatures; the API and CLI only ever show them masked (``****abcd``) and
no log line carries them."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadflow.errors import InvalidInput

Crm = Literal["ghl", "fub"]
GHL_BASE = "https://services.leadconnectorhq.com"
GHL_VERSION = "2021-07-28"
FUB_BASE = "https://api.followupboss.com/v1"


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    base_url: str
    rate_per_10s: int = Field(
        default=100, ge=1, le=10_000, description="Calls allowed per 10 s (the token bucket)."
    )
    max_attempts: int = Field(default=5, ge=1, le=20, description="Tries of one call.")
    field_map: dict[str, str] = Field(
        default_factory=dict,
        description="leadflow contact field -> CRM field for the contact sync (defaults below).",
    )

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _http_url(value)

    SECRETS: ClassVar[tuple[str, ...]] = ()


class GhlConfig(_Config):
    """GoHighLevel API v2: a Private Integration token (or an OAuth access token) of one
    location (sub-account)."""

    base_url: str = GHL_BASE
    api_key: str = Field(min_length=8, max_length=4000, description="Bearer token.")
    location_id: str = Field(min_length=1, max_length=100)
    pipeline_id: str | None = Field(default=None, max_length=100)
    webhook_public_key: str | None = Field(
        default=None,
        max_length=10_000,
        description="PEM of the RSA key that signs x-wh-signature (HighLevel publishes it).",
    )
    webhook_ed25519_key: str | None = Field(
        default=None, max_length=10_000, description="PEM of the Ed25519 key (X-GHL-Signature)."
    )

    SECRETS: ClassVar[tuple[str, ...]] = ("api_key",)


class FubConfig(_Config):
    """Follow Up Boss: an account API key (Basic auth) and the registered system's name and
    key (X-System, X-System-Key; the key also signs webhooks)."""

    base_url: str = FUB_BASE
    rate_per_10s: int = Field(default=250, ge=1, le=10_000)
    api_key: str = Field(min_length=8, max_length=400)
    system: str = Field(min_length=1, max_length=100)
    system_key: str = Field(min_length=8, max_length=400)

    SECRETS: ClassVar[tuple[str, ...]] = ("api_key", "system_key")


MODELS: dict[str, type[_Config]] = {"ghl": GhlConfig, "fub": FubConfig}


def check_crm(crm: str) -> str:
    if crm not in MODELS:
        raise InvalidInput(f"crm {crm!r} is not one of: fub, ghl")
    return crm


def parse_config(crm: str, raw: Any) -> _Config:
    """The checked configuration; InvalidInput naming the field and the problem."""
    model = MODELS[check_crm(crm)]
    if not isinstance(raw, dict):
        raise InvalidInput("the config must be an object")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors()
        ]
        raise InvalidInput("; ".join(problems)) from None


def ghl_config(raw: dict[str, Any]) -> GhlConfig:
    found = parse_config("ghl", raw)
    assert isinstance(found, GhlConfig)
    return found


def fub_config(raw: dict[str, Any]) -> FubConfig:
    found = parse_config("fub", raw)
    assert isinstance(found, FubConfig)
    return found


def mask(secret: str | None) -> str | None:
    """``****`` and the last 4 characters (only when the secret is long enough to spare them)."""
    if not secret:
        return None
    return "****" + (secret[-4:] if len(secret) >= 16 else "")


def masked(crm: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config as it may be shown: every secret masked."""
    model = MODELS[check_crm(crm)]
    out = dict(config)
    for name in model.SECRETS:
        if name in out:
            out[name] = mask(out[name])
    return out


def secrets_of(crm: str, config: dict[str, Any]) -> list[str]:
    """The secret values of a config (to keep out of error texts)."""
    return [str(config[n]) for n in MODELS[check_crm(crm)].SECRETS if config.get(n)]


__all__ = [
    "FUB_BASE",
    "GHL_BASE",
    "GHL_VERSION",
    "FubConfig",
    "GhlConfig",
    "check_crm",
    "fub_config",
    "ghl_config",
    "mask",
    "masked",
    "parse_config",
    "secrets_of",
]
