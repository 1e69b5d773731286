"""Providers as plug-ins: a package installed next to leadflow (a real ``.dist-info`` on
``sys.path``, found by ``importlib.metadata`` as pip would leave it) adds a channel, ``fax``,
with its provider and the action that queues fax messages; leadflow's code knows nothing of
it. Also: the built-in providers are found by the same names, and a wrong name stops start-up
with the setting and the known names."""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.channels import providers as registry
from leadflow.channels.providers import BUILTIN, GROUP, known_names
from leadflow.engine.workflows import enroll, publish
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact, MessageFilter
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.stores import upgraded_db

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_750_000_000.0

# The whole plug-in: a provider for a new channel, and an action that queues its messages. It
# uses leadflow's public parts only (the factory contract, the Provider port, StepContext).
PLUGIN = """
import json
from pathlib import Path

from leadflow.channels.provider_factory import ProviderFactory
from leadflow.engine.context import Go
from leadflow.engine.ports import SendResult


class FaxProvider:
    name = "acme-fax"

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def send(self, message, now):
        line = {"to": message.to, "body": message.body, "key": message.idempotency_key}
        with self.outbox.open("a") as out:
            out.write(json.dumps(line) + "\\n")
        return SendResult(provider_id="FAX-" + message.idempotency_key, status="delivered")

    def lookup(self, idempotency_key):
        return None


def check(settings, channel):
    if not settings.public_url:
        raise ValueError("acme-fax needs LEADFLOW_PUBLIC_URL")


def build(context, channel):
    return FaxProvider(Path(OUTBOX))


FACTORY = ProviderFactory("acme-fax", frozenset({"fax"}), build, check)


class FaxLead:
    def enter(self, ctx, node):
        body = ctx.render(str(node.params.get("body", "")))
        ctx.add_message(node.id, "fax", ctx.contact.phone, body)
        return Go(node.next, outcome="faxed")

    def resume(self, ctx, node):
        return Go(node.next, outcome="resumed")
"""

FAX_FLOW = {
    "key": "fax-welcome",
    "name": "Fax welcome",
    "start": "fax",
    "nodes": [
        {
            "id": "fax",
            "kind": "action",
            "action": "fax_lead",
            "params": {"body": "Welcome, {{ contact.first_name }}"},
        }
    ],
}


def install(site: Path, name: str, module: str, code: str, entry_points: str) -> None:
    """Leave a distribution in ``site`` the way pip does: the module and its ``.dist-info``."""
    dist = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(entry_points)
    (site / f"{module}.py").write_text(code)


@pytest.fixture
def fax_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The acme-fax distribution installed on ``sys.path``; yields the file its provider
    writes each fax to."""
    site = tmp_path / "site"
    site.mkdir()
    outbox = tmp_path / "faxes.jsonl"
    code = PLUGIN.replace("Path(OUTBOX)", f"Path({str(outbox)!r})")
    install(
        site,
        "acme-fax",
        "acme_fax",
        code,
        f"[{GROUP}]\nacme-fax = acme_fax:FACTORY\n"
        "[leadflow.actions]\nfax_lead = acme_fax:FaxLead\n",
    )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield outbox
    sys.modules.pop("acme_fax", None)


def test_a_new_channel_from_an_installed_package_sends_with_no_change_to_leadflow(
    fax_plugin: Path, tmp_path: Path
) -> None:
    assert "acme-fax" in known_names()
    settings = Settings(
        db=upgraded_db(tmp_path / "lf.db"),
        public_url="https://leads.example.com",
        providers={"fax": "acme-fax"},
    )
    rt = build_runtime(settings)
    try:
        assert type(rt.providers["fax"]).__name__ == "FaxProvider"
        store = rt.store
        store.upsert_contacts([Contact("c1", first_name="Fay", phone="+12125550123")], T0)
        publish(store, rt.engine.catalog, FAX_FLOW, T0)
        enroll(store, rt.engine.catalog, "fax-welcome", T0, contact_ids=["c1"])
        worker = rt.worker("w1")
        for _ in range(5):
            worker.tick(T0 + 1)
        lines = [json.loads(x) for x in fax_plugin.read_text().splitlines()]
        assert [(f["to"], f["body"]) for f in lines] == [("+12125550123", "Welcome, Fay")]
        (msg,) = store.list_messages(MessageFilter(contact_id="c1"))
        assert (msg.channel, msg.status) == ("fax", "delivered")
        assert msg.provider_id == "FAX-" + msg.idempotency_key
        assert [e.type for e in store.list_events(contact_id="c1", type="fax.delivered")] == [
            "fax.delivered"
        ]
    finally:
        rt.close()


def test_the_plug_ins_own_check_stops_start_up(fax_plugin: Path, tmp_path: Path) -> None:
    settings = Settings(db=upgraded_db(tmp_path / "lf.db"), providers={"fax": "acme-fax"})
    with pytest.raises(ValueError, match="acme-fax needs LEADFLOW_PUBLIC_URL"):
        build_runtime(settings)


def test_an_unknown_provider_name_names_the_setting_and_the_known_names(
    fax_plugin: Path, tmp_path: Path
) -> None:
    db = upgraded_db(tmp_path / "lf.db")
    with pytest.raises(InvalidInput) as caught:
        build_runtime(Settings(db=db, sms_provider="twillio"))
    assert str(caught.value) == (
        "LEADFLOW_SMS_PROVIDER=twillio: no provider is called 'twillio' "
        "(known: acme-fax, http, meta, sandbox, sendgrid, smtp, twilio)"
    )
    with pytest.raises(InvalidInput, match=r"LEADFLOW_PROVIDERS\[fax\]=acme-fx: no provider"):
        build_runtime(Settings(db=db, providers={"fax": "acme-fx"}))


def test_a_provider_given_a_channel_it_does_not_serve_is_refused(tmp_path: Path) -> None:
    db = upgraded_db(tmp_path / "lf.db")
    with pytest.raises(InvalidInput) as caught:
        build_runtime(Settings(db=db, email_provider="twilio"))
    assert str(caught.value) == (
        "LEADFLOW_EMAIL_PROVIDER=twilio: provider 'twilio' does not serve email "
        "(it serves sms, voice, whatsapp)"
    )
    with pytest.raises(InvalidInput, match="LEADFLOW_PROVIDERS: sms is chosen with LEADFLOW_SMS"):
        build_runtime(Settings(db=db, providers={"sms": "twilio"}))


def test_one_name_declared_by_two_distributions_is_refused(
    fax_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    install(other, "fax-clone", "fax_clone", PLUGIN.replace("Path(OUTBOX)", "Path('x')"),
            f"[{GROUP}]\nacme-fax = fax_clone:FACTORY\n")  # fmt: skip
    monkeypatch.syspath_prepend(str(other))
    importlib.invalidate_caches()
    with pytest.raises(InvalidInput, match=r"declared more than once \(acme-fax, fax-clone\)"):
        registry.factory("acme-fax", "LEADFLOW_PROVIDERS[fax]")
    sys.modules.pop("fax_clone", None)


def test_a_broken_plug_in_nobody_chose_stops_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "broken"
    site.mkdir()
    install(site, "broken-sms", "broken_sms", "raise ImportError('half installed')\n",
            f"[{GROUP}]\nbroken = broken_sms:FACTORY\n")  # fmt: skip
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    rt = build_runtime(Settings(db=upgraded_db(tmp_path / "lf.db")))
    rt.close()
    with pytest.raises(ImportError, match="half installed"):
        build_runtime(Settings(db=upgraded_db(tmp_path / "lf2.db"), sms_provider="broken"))


def test_the_built_in_providers_are_declared_as_entry_points_with_the_same_objects() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        GROUP
    ]
    expected = {"sandbox", "twilio", "smtp", "sendgrid", "http", "meta"}
    assert set(declared) == set(BUILTIN) == expected
    for name, target in declared.items():
        module, _, attr = target.partition(":")
        found = getattr(importlib.import_module(module), attr)
        assert found is BUILTIN[name] and found.name == name


def test_each_channel_gets_the_provider_its_setting_names(tmp_path: Path) -> None:
    rt = build_runtime(Settings(db=upgraded_db(tmp_path / "lf.db")))
    try:
        names = {channel: type(p).__name__ for channel, p in rt.providers.items()}
        assert names == {
            "sms": "SandboxProvider",
            "voice": "SandboxProvider",
            "email": "SandboxProvider",
            "whatsapp": "SandboxProvider",
            "messenger": "SandboxProvider",
            "webhook": "HttpWebhookProvider",
        }
        assert rt.providers["sms"] is rt.providers["email"]  # one sandbox ledger
    finally:
        rt.close()


def test_the_providers_setting_reads_json_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADFLOW_PROVIDERS", '{"fax": "acme-fax"}')
    monkeypatch.setenv("LEADFLOW_WHATSAPP_PROVIDER", "twilio")
    settings = Settings()
    assert settings.providers == {"fax": "acme-fax"}
    assert registry.chosen(settings)["fax"] == "acme-fax"
    assert registry.chosen(settings)["whatsapp"] == "twilio"
