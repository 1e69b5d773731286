"""The right to erasure on every backend: one call cancels the contact's live runs, suppresses
its pending messages, removes its personal data from every table and keeps an audit line with
no personal data; another tenant's identical-looking contact is untouched. On SQLite and
PostgreSQL, a scan of every column of every table then finds none of the contact's e-mail,
phone, names or id."""

from __future__ import annotations

import pytest

from leadflow.model.erasure import contact_digest
from leadflow.model.records import ContactFilter, MessageFilter, Scope
from leadflow.store import Store
from support.erasure_kit import (
    EMAIL,
    FIRST,
    LAST,
    PHONE,
    Person,
    all_rows,
    fill,
    memory_strings,
    scan,
    tenants,
)
from support.records import T0

GONE = Person("acme", "c-acme-7f3q")
OTHER = Person("zeta", "c-zeta-9k2w")  # the same person's data at another brokerage


@pytest.fixture
def filled(store: Store) -> Store:
    tenants(store, "acme", "zeta")
    fill(store, OTHER)
    return store


def test_erasure_cancels_suppresses_blanks_and_audits(filled: Store) -> None:
    store = filled
    made = fill(store, GONE)
    other_before = store.get_contact(OTHER.contact_id)

    erasure = store.erase_contact("acme", GONE.contact_id, "key:k1", T0 + 60)

    assert erasure is not None
    assert erasure.contact_digest == contact_digest(GONE.contact_id)
    assert (erasure.tenant_id, erasure.erased_by, erasure.erased_at) == ("acme", "key:k1", T0 + 60)
    assert erasure.counts["contacts"] == 1 and erasure.counts["runs"] == 1
    assert erasure.counts["messages"] == 1 and erasure.counts["events"] == 1
    assert store.get_contact(GONE.contact_id) is None
    assert store.runs_of_contact(GONE.contact_id) == []
    run = store.get_run(made["run_id"])
    assert run is not None  # kept for the counts, no longer anyone's
    assert (run.status, run.exit_reason, run.ended_at) == ("cancelled", "erased", T0 + 60)
    assert run.contact_id != GONE.contact_id and run.context == {}
    assert all(s.data in ({}, None) and s.error is None for s in store.run_steps(run.id))
    (message,) = store.list_messages(MessageFilter(run_id=run.id))
    assert (message.status, message.suppressed_reason) == ("suppressed", "erased")
    assert (message.to, message.body, message.payload) == ("", "", {})
    assert store.sandbox_lookup(f"{run.id}:start:1:{GONE.contact_id}") is None
    assert store.compose_drafts("acme", GONE.contact_id) == []
    assert store.crm_sync_state("acme", "fub", GONE.contact_id) == {}
    assert store.messenger_contact("acme", "page-acme", f"psid-{GONE.contact_id}") is None
    assert store.get_assignment("acme", "split", GONE.contact_id) is None
    assert [e.contact_digest for e in store.list_erasures("acme")] == [erasure.contact_digest]
    # the pseudonymous row left for the runs' sake is no tenant's: not listed, not enrolled
    assert store.find_contacts(ContactFilter(scope=Scope("acme"))) == []
    enrolled = store.enroll_all("wf-acme", 1, "start", T0 + 61, "always", None, "acme")
    assert enrolled.created == 0
    assert store.list_erasures("zeta") == []
    # the other tenant's contact, with the same name, e-mail and phone, is untouched
    assert store.get_contact(OTHER.contact_id) == other_before
    (other_run,) = store.runs_of_contact(OTHER.contact_id)
    assert other_run.status == "waiting"
    (other_message,) = store.list_messages(MessageFilter(run_id=other_run.id))
    assert (other_message.status, other_message.to) == ("pending", PHONE)
    assert store.crm_sync_state("zeta", "fub", OTHER.contact_id)["email"] == EMAIL


def test_another_tenants_contact_cannot_be_erased(filled: Store) -> None:
    store = filled
    before = store.get_contact(OTHER.contact_id)
    assert store.erase_contact("acme", OTHER.contact_id, "key:k1", T0) is None
    assert store.erase_contact("acme", "nobody", "key:k1", T0) is None
    assert store.get_contact(OTHER.contact_id) == before
    assert store.list_erasures("acme") == []


def test_no_trace_of_the_erased_contact_in_any_column_of_any_table(
    filled: Store, backend: str
) -> None:
    store = filled
    person = [EMAIL, PHONE, FIRST, LAST]
    if backend == "memory":

        def naming(needles: list[str]) -> list[str]:
            found = memory_strings(store)
            return sorted(t for t in found if any(n.lower() in t.lower() for n in needles))

        others = naming(person)
        assert others
        fill(store, GONE)
        assert any(GONE.contact_id in t for t in memory_strings(store))
        assert store.erase_contact("acme", GONE.contact_id, "key:k1", T0 + 60) is not None
        assert naming([GONE.contact_id]) == []
        assert naming(person) == others  # only the other tenant's copy is left
        return
    others = scan(all_rows(store), person)
    assert others  # the scan sees the other tenant's copy of the person
    fill(store, GONE)
    assert scan(all_rows(store), [GONE.contact_id])  # ... and the contact before erasure

    assert store.erase_contact("acme", GONE.contact_id, "key:k1", T0 + 60) is not None

    after = all_rows(store)
    assert scan(after, [GONE.contact_id]) == set()
    # what still names the person is exactly the other tenant's rows, unchanged
    assert scan(after, person) == others
    (audit,) = after["erasures"]
    assert contact_digest(GONE.contact_id) in audit
