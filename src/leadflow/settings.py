"""Settings from the environment (``LEADFLOW_*``), with defaults that run on one machine."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
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
    sendtime_max_per_hour: int | None = Field(
        default=None,
        ge=1,
        description="timing: optimal sends of one send node per hour; the overflow of a full "
        "hour goes to each lead's next best hour (kept per worker). Unset: no cap.",
    )
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
    auth_failures_per_minute: int = Field(
        default=20,
        ge=0,
        description="Failed API-key authentications one client address may make per minute; "
        "over it, every request from that address needing a key (the right key too) gets 429 "
        "with Retry-After until the oldest failure is a minute old. 0 = no limit. Counted per "
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

    # ---------------------------------------------------------------- work limits
    # What one workflow may make the engine do (docs/deploy.md, "Work limits").
    max_workflow_depth: int = Field(
        default=5,
        ge=1,
        le=100,
        description="start_workflow hops in one chain (A -> B -> A ...); a deeper start fails "
        "its step with the reason.",
    )
    max_enrollments_per_hour: int = Field(
        default=20,
        ge=0,
        description="Runs of one workflow one contact may get in any hour from triggers, "
        "schedules and start_workflow (counted in the database, so across workers); 0 = no cap.",
    )
    max_sms_chars: int = Field(
        default=1600, ge=1, description="Longest rendered SMS body (Twilio sends up to 1,600)."
    )
    max_email_subject_chars: int = Field(
        default=998, ge=1, description="Longest rendered e-mail subject."
    )
    max_email_body_chars: int = Field(
        default=200_000, ge=1, description="Longest rendered e-mail body (text and HTML each)."
    )
    render_max_chars: int = Field(
        default=100_000,
        ge=1,
        description="Longest rendering of other templates (voice, webhook, contact updates).",
    )
    render_max_steps: int = Field(
        default=100_000,
        ge=100,
        description="Template steps (loop turns, calls, attribute reads, filters) per render.",
    )
    render_max_ms: float = Field(
        default=250.0, gt=0, description="CPU milliseconds one template render may take."
    )
    max_definition_bytes: int = Field(
        default=1 * MIB, ge=1024, description="Largest workflow file (YAML or JSON) read."
    )
    max_yaml_aliases: int = Field(
        default=100, ge=0, description="YAML aliases (*name) one workflow file may use."
    )
    max_yaml_nodes: int = Field(
        default=100_000,
        ge=100,
        description="Values in a YAML document once its aliases are expanded (counted before "
        "they are).",
    )

    # ---------------------------------------------------------------- Twilio (SMS and voice)
    # A provider name: a built-in one or one an installed package declares in the
    # ``leadflow.providers`` entry-point group (docs/providers.md); checked at start-up.
    sms_provider: str = Field(
        default="sandbox",
        description="Who sends texts: the sandbox (default), twilio, or a plug-in.",
    )
    voice_provider: str = Field(
        default="sandbox",
        description="Who places calls: the sandbox (default), twilio, or a plug-in.",
    )
    twilio_account_sid: str | None = Field(default=None, description="Twilio Account SID (AC...).")
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        description="Twilio Auth Token: authenticates REST calls and verifies X-Twilio-Signature.",
    )
    twilio_messaging_service_sid: str | None = Field(
        default=None, description="Messaging Service SID (MG...) texts are sent from (preferred)."
    )
    twilio_from_number: str | None = Field(
        default=None,
        description="E.164 number texts are sent from without a Messaging Service; calls always.",
    )
    twilio_api_base: str = Field(
        default="https://api.twilio.com", description="Base URL of Twilio's REST API."
    )
    public_url: str | None = Field(
        default=None,
        description="Public base URL of this installation (e.g. https://leads.example.com): "
        "Twilio's callbacks and e-mail unsubscribe links point there, and signed webhook URLs "
        "are rebuilt from it behind a proxy.",
    )

    @field_validator("twilio_from_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from leadflow.addresses import e164_or_error

        return e164_or_error(value, "twilio_from_number")

    @field_validator("twilio_api_base", "meta_graph_base")
    @classmethod
    def _api_base(cls, value: str, info: ValidationInfo) -> str:
        from leadflow.addresses import base_url_or_error

        return base_url_or_error(value, str(info.field_name))

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from leadflow.addresses import base_url_or_error

        return base_url_or_error(value, "public_url")

    # ------------------------------------------------------------------ e-mail
    email_provider: str = Field(
        default="sandbox",
        description="Who sends e-mail: the sandbox (nothing leaves), smtp (a relay), sendgrid, "
        "or a plug-in.",
    )
    email_from: str | None = Field(
        default=None,
        description='Sender of e-mail, e.g. "Acme Realty <agent@acme.example>"; required by the '
        "smtp and sendgrid providers.",
    )
    email_postal_address: str | None = Field(
        default=None,
        description="The sender's physical postal address, printed in every marketing e-mail "
        "(CAN-SPAM); a marketing e-mail without it is refused.",
    )
    unsubscribe_secret: SecretStr | None = Field(
        default=None,
        description="Key of the unsubscribe tokens in e-mail links; required by the smtp and "
        "sendgrid providers. Changing it invalidates every link already sent.",
    )
    booking_secret: SecretStr | None = Field(
        default=None,
        description="Key of the agents' booking-page and calendar-feed links (at least 16 "
        "characters); without it the booking pages are off. Changing it invalidates every link.",
    )
    unsubscribe_mailto: str | None = Field(
        default=None,
        description="Optional address for unsubscribe requests by e-mail (List-Unsubscribe "
        "mailto:).",
    )
    smtp_host: str | None = Field(default=None, description="SMTP relay host.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP relay port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (usually port 587), tls (implicit TLS, usually 465) or none.",
    )
    smtp_username: str | None = Field(default=None, description="SMTP login (none: no AUTH).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="SMTP connect/read timeout.")
    smtp_ca_file: str | None = Field(
        default=None,
        description="PEM file of CA certificates to trust for the relay's TLS certificate "
        "(default: the system's trust store).",
    )
    sendgrid_api_key: SecretStr | None = Field(default=None, description="SendGrid API key.")
    sendgrid_api_base: str = Field(
        default="https://api.sendgrid.com", description="SendGrid API base URL."
    )
    sendgrid_timeout_s: float = Field(default=30.0, gt=0, description="SendGrid HTTP timeout.")
    sendgrid_webhook_public_key: str | None = Field(
        default=None,
        description="SendGrid's Event Webhook verification key (ECDSA P-256; base64 DER as "
        "SendGrid shows it, or PEM). Without it every event post is refused.",
    )

    @field_validator("email_from", "unsubscribe_mailto")
    @classmethod
    def _valid_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from leadflow.addresses import check_mailbox

        return check_mailbox(value)

    # -- AI drafting (any OpenAI-compatible server; none: the deterministic planner answers)
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible API base, e.g. http://127.0.0.1:11434/v1 (none: no model).",
    )
    llm_model: str = Field(default="gpt-4o-mini", min_length=1, description="Model name.")
    llm_api_key: SecretStr | None = Field(default=None, description="API key of the server.")
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600, description="Hard timeout per call.")
    llm_max_concurrency: int = Field(default=4, ge=1, le=256, description="Calls at once.")
    llm_max_tokens: int = Field(default=2000, ge=64, le=100_000, description="Tokens per answer.")
    llm_monthly_token_budget: int = Field(
        default=2_000_000, ge=0, description="Tokens in + out per tenant per month (0: no model)."
    )
    llm_max_retries: int = Field(default=3, ge=0, le=10, description="Retries on 429 / 5xx.")
    llm_cache_ttl_s: float = Field(default=120.0, ge=0, description="Identical-request cache TTL.")
    llm_cache_size: int = Field(default=256, ge=1, description="Entries the cache keeps at most.")

    # ---------------------------------------------------------------- providers (plug-ins)
    whatsapp_provider: str = Field(
        default="sandbox",
        description="Who sends WhatsApp messages: the sandbox (default), twilio, or a plug-in.",
    )
    providers: dict[str, str] = Field(
        default_factory=dict,
        description='The provider of every other channel by name, as JSON: {"webhook": "http", '
        '"fax": "acme-fax"} (a channel a plug-in adds is chosen here).',
    )

    @field_validator(
        "sms_provider",
        "voice_provider",
        "email_provider",
        "whatsapp_provider",
        "messenger_provider",
    )
    @classmethod
    def _provider_name(cls, value: str) -> str:
        name = value.strip()
        if not name:
            raise ValueError("a provider name is required (e.g. sandbox)")
        return name

    # -- inbound e-mail (docs/inbound-email.md): SendGrid Inbound Parse and an IMAP mailbox
    sendgrid_inbound_secret: SecretStr | None = Field(
        default=None,
        description="The secret path part of SendGrid Inbound Parse's URL "
        "(/hooks/sendgrid/inbound/<secret>, at least 16 characters); without it the hook is off.",
    )
    sendgrid_inbound_username: str | None = Field(
        default=None, description="Optional HTTP basic auth user the Inbound Parse URL carries."
    )
    sendgrid_inbound_password: SecretStr | None = Field(
        default=None, description="HTTP basic auth password of the Inbound Parse URL."
    )
    sendgrid_inbound_tenant: str | None = Field(
        default=None,
        description="The tenant every Inbound Parse post belongs to (none: the tenant of the "
        "message replied to, else of the recipient address).",
    )
    imap_host: str | None = Field(default=None, description="IMAP server of the reply mailbox.")
    imap_port: int = Field(default=993, ge=1, le=65535, description="IMAP port.")
    imap_security: Literal["tls", "starttls", "none"] = Field(
        default="tls", description="tls (implicit, usually 993), starttls (143) or none."
    )
    imap_username: str | None = Field(default=None, description="IMAP login.")
    imap_password: SecretStr | None = Field(default=None, description="IMAP password.")
    imap_mailbox: str = Field(default="INBOX", min_length=1, description="Mailbox to read.")
    imap_tenant: str = Field(
        default="default", min_length=1, description="The tenant the mailbox's replies belong to."
    )
    imap_interval_s: float = Field(
        default=60.0, gt=0, description="Seconds between polls (with IDLE: between checks)."
    )
    imap_idle: bool = Field(
        default=True, description="Use IMAP IDLE when the server offers it (RFC 2177)."
    )
    imap_timeout_s: float = Field(default=30.0, gt=0, description="IMAP socket timeout.")
    imap_ca_file: str | None = Field(
        default=None, description="PEM CA file for the IMAP server's certificate."
    )

    @field_validator("sendgrid_inbound_secret")
    @classmethod
    def _inbound_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    # -- Meta: Facebook Messenger (the Send API) and Lead Ads (the leadgen webhook)
    messenger_provider: str = Field(
        default="sandbox",
        description="Who sends Messenger messages: the sandbox (default), meta (Meta's Send "
        "API) or a plug-in.",
    )
    meta_app_secret: SecretStr | None = Field(
        default=None,
        description="The Meta app's secret: verifies X-Hub-Signature-256 on its webhooks "
        "(without it every event post is refused).",
    )
    meta_verify_token: SecretStr | None = Field(
        default=None,
        description="The verify token given in the app's webhook settings (GET hub.verify_token).",
    )
    meta_graph_base: str = Field(
        default="https://graph.facebook.com", description="Base URL of Meta's Graph API."
    )
    meta_graph_version: str = Field(
        default="v21.0", pattern=r"^v\d+\.\d+$", description="Graph API version, e.g. v21.0."
    )
    meta_timeout_s: float = Field(default=10.0, gt=0, le=120, description="Graph API timeout.")

    # -- AI task orchestration (batches of AI tasks run by the workers)
    orchestrate_per_tenant: int = Field(
        default=4, ge=1, le=256, description="Tasks of one tenant running at once (all workers)."
    )
    orchestrate_per_server: int = Field(
        default=4, ge=1, le=256, description="Tasks calling one model server at once (all workers)."
    )
    orchestrate_batch: int = Field(
        default=8, ge=1, le=64, description="Tasks one worker runs at once."
    )
    orchestrate_lease_s: float = Field(
        default=300.0, gt=0, description="Lease of a running task (past it, another worker may)."
    )
    orchestrate_max_attempts: int = Field(
        default=3, ge=1, le=20, description="Claims of a task whose workers died before it fails."
    )
    orchestrate_interval_s: float = Field(
        default=0.1, gt=0, description="How often a worker looks for orchestration tasks."
    )
