"""A tenant's senders: which tenant an inbound text, call or e-mail belongs to, and which number
or address a tenant's messages leave from.

* **Owned.** A sender (an E.164 phone number, a Twilio Messaging Service SID, an e-mail
  from-address) belongs to one tenant at most (:meth:`Store.add_sender`). The global settings
  ``LEADFLOW_TWILIO_FROM_NUMBER``, ``LEADFLOW_TWILIO_MESSAGING_SERVICE_SID`` and
  ``LEADFLOW_EMAIL_FROM`` are the senders of the ``default`` tenant, unless the operator
  registered one of them for another tenant (``leadflow tenants senders add``): a registration
  wins over the settings. A tenant admin (through the API) can register neither another
  tenant's sender nor one of the settings' senders.
* **Inbound** (:func:`inbound_tenant`): a text or call goes to the tenant owning the number it
  was sent to (``To``), else the Messaging Service it came through; nobody's: None (dropped).
* **Outbound** (:func:`sms_sender`, :func:`voice_sender`, :func:`email_sender`): the tenant's own
  sender; else, for texts and calls, the settings' sender only for the ``default`` tenant (a
  reply to it reaches ``default`` alone, so another tenant texting from it would never see its
  leads' replies and STOPs); for e-mail, the settings' address for every tenant (leadflow
  routes no inbound e-mail by it).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from email.utils import formataddr

from leadflow.addresses import e164_or_error, split_mailbox
from leadflow.errors import Conflict, InvalidInput, NotFound, ProviderError
from leadflow.model.records import DEFAULT_TENANT, Message
from leadflow.model.senders import EMAIL, MESSAGING_SERVICE, PHONE, SENDER_KINDS, Sender
from leadflow.settings import Settings
from leadflow.store.contract import Store

_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
MAX_LABEL = 200


def service_key(sid: str) -> str:
    """A Messaging Service SID as stored (its hex digits in lower case)."""
    value = sid.strip()
    return "MG" + value[2:].lower() if _SERVICE_SID.match(value) else value


def normalize(kind: str, address: str) -> str:
    """``address`` in its stored form; :class:`InvalidInput` naming the field and the problem."""
    value = address.strip()
    if kind == PHONE:
        try:
            return e164_or_error(value, "address")
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    if kind == MESSAGING_SERVICE:
        if not _SERVICE_SID.match(value):
            raise InvalidInput("address: a Messaging Service SID is MG followed by 32 hex digits")
        return service_key(value)
    if kind == EMAIL:
        try:
            name, mailbox = split_mailbox(value)
        except ValueError as exc:
            raise InvalidInput(f"address: {exc}") from None
        if name:
            raise InvalidInput("address: give the bare address; the display name goes in label")
        return mailbox.lower()
    raise InvalidInput(f"kind: must be one of {', '.join(SENDER_KINDS)}, not {kind!r}")


def configured(settings: Settings) -> dict[tuple[str, str], str]:
    """The settings' senders (all the ``default`` tenant's), by (kind, address)."""
    found: dict[tuple[str, str], str] = {}
    if settings.twilio_from_number:
        found[(PHONE, settings.twilio_from_number)] = DEFAULT_TENANT
    if settings.twilio_messaging_service_sid and settings.twilio_messaging_service_sid.strip():
        found[(MESSAGING_SERVICE, service_key(settings.twilio_messaging_service_sid))] = (
            DEFAULT_TENANT
        )
    if settings.email_from:
        with contextlib.suppress(ValueError):
            found[(EMAIL, split_mailbox(settings.email_from)[1].lower())] = DEFAULT_TENANT
    return found


def owner(store: Store, settings: Settings, kind: str, address: str) -> str | None:
    """The tenant owning the sender: its registration, else the settings' ``default``."""
    found = store.sender_owner(kind, address)
    return found if found is not None else configured(settings).get((kind, address))


def add(
    store: Store,
    settings: Settings,
    tenant_id: str,
    kind: str,
    address: str,
    now: float,
    *,
    label: str | None = None,
    operator: bool = False,
) -> Sender:
    """Register a sender for ``tenant_id``; :class:`Conflict` when another tenant owns it (a
    tenant admin may not take the settings' senders either; the operator may, ``operator``)."""
    value = normalize(kind, address)
    if label is not None and (len(label) > MAX_LABEL or any(c in label for c in "\r\n\0")):
        raise InvalidInput(f"label: at most {MAX_LABEL} characters, no line breaks")
    taken = f"address: this {kind.replace('_', ' ')} is another tenant's sender"
    settings_owner = configured(settings).get((kind, value))
    if (
        not operator
        and settings_owner not in (None, tenant_id)
        and store.sender_owner(kind, value) != tenant_id
    ):
        raise Conflict(taken)
    got = store.add_sender(Sender(tenant_id, kind, value, label or None), now)
    if got != tenant_id:
        raise Conflict(taken)
    for sender in store.list_senders(tenant_id):
        if (sender.kind, sender.address) == (kind, value):
            return sender
    raise Conflict(taken)  # removed by another request meanwhile


def remove(store: Store, tenant_id: str, kind: str, address: str) -> None:
    """Remove one of the tenant's senders; :class:`NotFound` when it has no such sender."""
    value = normalize(kind, address)
    if not store.remove_sender(tenant_id, kind, value):
        raise NotFound(f"no {kind.replace('_', ' ')} sender {value!r} in this tenant")


def inbound_tenant(
    store: Store, settings: Settings, to: str | None, service_sid: str | None
) -> str | None:
    """The tenant an inbound text or call belongs to: the owner of the number it was sent to,
    else of the Messaging Service it came through; None when neither is anybody's."""
    if to:
        try:
            number = normalize(PHONE, to)
        except InvalidInput:
            number = None
        if number is not None:
            found = owner(store, settings, PHONE, number)
            if found is not None:
                return found
    if service_sid and service_sid.strip():
        return owner(store, settings, MESSAGING_SERVICE, service_key(service_sid))
    return None


@dataclass(frozen=True, slots=True)
class SmsSender:
    """What a text leaves from: a Messaging Service, else a number."""

    messaging_service_sid: str | None
    from_number: str | None


def _usable(store: Store, settings: Settings, tenant_id: str, kind: str) -> str | None:
    """The settings' sender of ``kind`` for the ``default`` tenant, unless registered to
    another tenant."""
    if tenant_id != DEFAULT_TENANT:
        return None
    for (k, address), _ in configured(settings).items():
        if k == kind and store.sender_owner(k, address) in (None, tenant_id):
            return address
    return None


def sms_sender(store: Store, settings: Settings, tenant_id: str) -> SmsSender | None:
    """The tenant's Messaging Service (preferred) or number; None when it has neither."""
    own = store.list_senders(tenant_id)
    service = next((s.address for s in own if s.kind == MESSAGING_SERVICE), None)
    phone = next((s.address for s in own if s.kind == PHONE), None)
    if service is None and phone is None:
        service = _usable(store, settings, tenant_id, MESSAGING_SERVICE)
        phone = _usable(store, settings, tenant_id, PHONE)
    if service is None and phone is None:
        return None
    return SmsSender(service, None if service else phone)


def voice_sender(store: Store, settings: Settings, tenant_id: str) -> str | None:
    """The number the tenant's calls are placed from; None when it has none."""
    own = [s.address for s in store.list_senders(tenant_id) if s.kind == PHONE]
    return own[0] if own else _usable(store, settings, tenant_id, PHONE)


def email_sender(store: Store, settings: Settings, tenant_id: str) -> str | None:
    """The tenant's From (``Name <address>``), else ``LEADFLOW_EMAIL_FROM``."""
    own = [s for s in store.list_senders(tenant_id) if s.kind == EMAIL]
    if own:
        return formataddr((own[0].label or "", own[0].address))
    return settings.email_from


def _no_sender(tenant_id: str, what: str) -> ProviderError:
    return ProviderError(
        f"tenant {tenant_id!r} has no {what} sender: register one with `leadflow tenants "
        "senders add` or POST /api/v1/tenants/current/senders",
        retryable=False,
    )


class TenantSenders:
    """The providers' view: which sender a message leaves from, by its contact's tenant."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def tenant_of(self, message: Message) -> str:
        contact = self.store.get_contact(message.contact_id) if message.contact_id else None
        return contact.tenant_id if contact is not None else DEFAULT_TENANT

    def sms(self, message: Message) -> SmsSender:
        """The tenant's sender; for an answer to an inbound text (STOP, HELP, START), the
        number that was texted, when it is one of the tenant's numbers."""
        tenant = self.tenant_of(message)
        texted = message.payload.get("reply_from")
        if isinstance(texted, str) and texted:
            with contextlib.suppress(InvalidInput):
                number = normalize(PHONE, texted)
                if owner(self.store, self.settings, PHONE, number) == tenant:
                    return SmsSender(None, number)
        found = sms_sender(self.store, self.settings, tenant)
        if found is None:
            raise _no_sender(tenant, "texting")
        return found

    def voice(self, message: Message) -> str:
        tenant = self.tenant_of(message)
        found = voice_sender(self.store, self.settings, tenant)
        if found is None:
            raise _no_sender(tenant, "calling")
        return found

    def email(self, tenant_id: str) -> str | None:
        return email_sender(self.store, self.settings, tenant_id)
