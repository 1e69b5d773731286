"""Facebook pages and Messenger links: a page belongs to one tenant, a (page, PSID) to one
contact of that tenant; every backend alike."""

from __future__ import annotations

from leadflow.model.meta import MetaPage
from leadflow.store import Store


def test_a_page_belongs_to_the_first_tenant_that_registers_it(store: Store) -> None:
    assert store.save_meta_page(MetaPage("p1", "acme", "Acme", "tok-a"), 10.0) == "acme"
    # another tenant cannot take it over, nor change its token
    assert store.save_meta_page(MetaPage("p1", "beta", "Beta", "tok-b"), 11.0) == "acme"
    assert store.meta_page("p1") == MetaPage("p1", "acme", "Acme", "tok-a", 10.0)
    # its own tenant may rotate the token
    assert store.save_meta_page(MetaPage("p1", "acme", "Acme Realty", "tok-a2"), 12.0) == "acme"
    assert store.meta_page("p1") == MetaPage("p1", "acme", "Acme Realty", "tok-a2", 10.0)
    assert store.save_meta_page(MetaPage("p0", "acme", None, "tok-0"), 13.0) == "acme"
    assert [p.page_id for p in store.list_meta_pages("acme")] == ["p0", "p1"]
    assert store.list_meta_pages("beta") == []
    assert store.meta_page("nope") is None
    assert store.remove_meta_page("beta", "p1") is False
    assert store.meta_page("p1") is not None
    assert store.remove_meta_page("acme", "p1") is True
    assert store.meta_page("p1") is None
    assert store.save_meta_page(MetaPage("p1", "beta", "Beta", "tok-b"), 14.0) == "beta"


def test_a_psid_links_to_the_first_contact_and_only_inside_its_tenant(store: Store) -> None:
    store.save_meta_page(MetaPage("p1", "acme", None, "tok"), 1.0)
    assert store.link_messenger("acme", "p1", "psid-1", "c1", 2.0) == "c1"
    assert store.link_messenger("acme", "p1", "psid-1", "c2", 3.0) == "c1"  # first wins
    assert store.messenger_contact("acme", "p1", "psid-1") == "c1"
    assert store.messenger_contact("beta", "p1", "psid-1") is None  # never across tenants
    assert store.messenger_contact("acme", "p2", "psid-1") is None  # PSIDs are per page
    store.relink_messenger("acme", "p1", "psid-1", "c3", 4.0)
    assert store.messenger_contact("acme", "p1", "psid-1") == "c3"
    assert store.remove_meta_page("acme", "p1")
    assert store.messenger_contact("acme", "p1", "psid-1") is None  # links go with the page
