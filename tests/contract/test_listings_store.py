"""Listings (RESO Property) in every backend: tenant isolation, what an upsert reports,
StandardStatus spelling, filters, keyset paging, all or nothing."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.listings import Listing, ListingChange, ListingFilter
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def home(key: str, tenant: str = "acme", **kw: object) -> Listing:
    kw.setdefault("standard_status", "Active")
    kw.setdefault("list_price", 400_000.0)
    kw.setdefault("city", "Austin")
    kw.setdefault("postal_code", "78701")
    return Listing(tenant, key, **kw)  # type: ignore[arg-type]


def keys(listings: list[Listing]) -> list[str]:
    return [x.listing_key for x in listings]


def test_a_listing_round_trips_with_every_field(tenants: Store) -> None:
    full = Listing(
        "acme",
        "L1",
        listing_id="MLS-1",
        standard_status="Active",
        property_type="Residential",
        property_sub_type="SingleFamilyResidence",
        list_price=525_000.0,
        original_list_price=550_000.0,
        close_price=None,
        unparsed_address="12 Oak St, Boston, MA 02134",
        street_number="12",
        street_name="Oak St",
        city="Boston",
        state_or_province="MA",
        postal_code="02134",
        county_or_parish="Suffolk",
        subdivision_name="Allston",
        latitude=42.35,
        longitude=-71.13,
        bedrooms_total=3,
        bathrooms_total_integer=2,
        living_area=1850.5,
        lot_size_acres=0.12,
        year_built=1925,
        garage_spaces=1.0,
        pool_private_yn=False,
        waterfront_yn=None,
        new_construction_yn=False,
        internet_entire_listing_display_yn=True,
        public_remarks="Sunny \u00e9tage, 100% charm",
        list_agent_key="a1",
        list_office_key="o1",
        modification_timestamp=T0 - 60,
        photos=["https://img.example/1.jpg", "https://img.example/2.jpg"],
        extra={"DaysOnMarket": 4, "Heating": ["Forced Air"]},
    )
    tenants.upsert_listings([full], T0)
    got = tenants.get_listing("acme", "L1")
    assert got is not None
    assert got == Listing(**{**_fields(full), "created_at": T0, "updated_at": T0})
    assert got.postal_code == "02134" and got.pool_private_yn is False
    assert tenants.count_listings("acme") == 1


def _fields(listing: Listing) -> dict[str, object]:
    return {name: getattr(listing, name) for name in listing.__slots__}  # type: ignore[attr-defined]


def test_tenants_never_see_each_others_listings(tenants: Store) -> None:
    tenants.upsert_listings([home("L1", list_price=1.0), home("L1", "zeta", list_price=2.0)], T0)
    a, z = tenants.get_listing("acme", "L1"), tenants.get_listing("zeta", "L1")
    assert a is not None and z is not None
    assert (a.list_price, z.list_price) == (1.0, 2.0)
    assert keys(tenants.list_listings(ListingFilter("zeta"))) == ["L1"]
    assert tenants.list_listings(ListingFilter("zeta"))[0].list_price == 2.0
    assert tenants.delete_listing("zeta", "L1") is True
    assert tenants.get_listing("zeta", "L1") is None
    assert tenants.get_listing("acme", "L1") is not None  # the other tenant's is untouched
    assert tenants.delete_listing("zeta", "L1") is False
    assert (tenants.count_listings("acme"), tenants.count_listings("zeta")) == (1, 0)


def test_upsert_reports_new_price_and_status_changes(tenants: Store) -> None:
    first = tenants.upsert_listings([home("L1"), home("L2")], T0)
    assert first.changes == (
        ListingChange("acme", "L1", True),
        ListingChange("acme", "L2", True),
    )
    assert (first.inserted, first.updated) == (2, 0)
    second = tenants.upsert_listings(
        [
            home("L1", list_price=389_000.0),
            home("L2", standard_status="Active Under Contract"),
            home("L3"),
            home("L2", standard_status="Closed", list_price=410_000.0),  # again, same batch
        ],
        T0 + 60,
    )
    assert second.changes == (
        ListingChange("acme", "L1", False, price=(400_000.0, 389_000.0)),
        ListingChange("acme", "L2", False, status=("Active", "ActiveUnderContract")),
        ListingChange("acme", "L3", True),
        ListingChange(
            "acme",
            "L2",
            False,
            price=(400_000.0, 410_000.0),
            status=("ActiveUnderContract", "Closed"),
        ),
    )
    assert (second.inserted, second.updated) == (1, 3)
    assert [c.listing_key for c in second.price_changes] == ["L1", "L2"]
    unchanged = tenants.upsert_listings([home("L1", list_price=389_000.0)], T0 + 120)
    assert unchanged.changes == (ListingChange("acme", "L1", False),)
    got = tenants.get_listing("acme", "L1")
    assert got is not None and (got.created_at, got.updated_at) == (T0, T0 + 120)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Active Under Contract", "ActiveUnderContract"),
        ("activeundercontract", "ActiveUnderContract"),
        ("COMING SOON", "ComingSoon"),
        ("Closed", "Closed"),
        (None, None),
    ],
)
def test_standard_status_is_stored_in_its_reso_spelling(
    tenants: Store, given: str | None, stored: str | None
) -> None:
    tenants.upsert_listings([home("L1", standard_status=given)], T0)
    got = tenants.get_listing("acme", "L1")
    assert got is not None and got.standard_status == stored
    if stored is not None:
        flt = ListingFilter("acme", standard_status=given)
        assert keys(tenants.list_listings(flt)) == ["L1"]


def test_filters(tenants: Store) -> None:
    tenants.upsert_listings(
        [
            home("A", city="Austin", list_price=300_000.0, bedrooms_total=2,
                 bathrooms_total_integer=1, internet_entire_listing_display_yn=True,
                 property_sub_type="Condominium"),
            home("B", city="Austin", list_price=500_000.0, bedrooms_total=4,
                 bathrooms_total_integer=3, internet_entire_listing_display_yn=False,
                 property_sub_type="SingleFamilyResidence", postal_code="78702"),
            home("C", city="Dallas", list_price=700_000.0, bedrooms_total=5,
                 bathrooms_total_integer=4, internet_entire_listing_display_yn=True,
                 standard_status="Pending", postal_code="75201"),
            home("D", city="Austin", list_price=None, bedrooms_total=None),
            home("E", "zeta", city="Austin"),
        ],
        T0,
    )  # fmt: skip

    def find(**kw: object) -> list[str]:
        return keys(tenants.list_listings(ListingFilter("acme", **kw)))  # type: ignore[arg-type]

    assert find() == ["A", "B", "C", "D"]
    assert find(city="Austin") == ["A", "B", "D"]
    assert find(postal_code="78702") == ["B"]
    assert find(standard_status="Pending") == ["C"]
    assert find(standard_status="active") == ["A", "B", "D"]
    assert find(property_sub_type="Condominium") == ["A"]
    assert find(min_price=400_000.0) == ["B", "C"]
    assert find(max_price=500_000.0) == ["A", "B"]
    assert find(min_price=300_000.0, max_price=600_000.0, city="Austin") == ["A", "B"]
    assert find(min_beds=4) == ["B", "C"]
    assert find(min_baths=3) == ["B", "C"]
    assert find(idx_only=True) == ["A", "C"]
    assert find(city="Nowhere") == []


def test_keyset_paging(tenants: Store) -> None:
    tenants.upsert_listings([home(f"K{i:02d}") for i in range(7)], T0)
    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page = tenants.list_listings(ListingFilter("acme", after_key=after, limit=3))
        if not page:
            break
        pages.append(keys(page))
        after = page[-1].listing_key
    assert pages == [["K00", "K01", "K02"], ["K03", "K04", "K05"], ["K06"]]
    assert keys(tenants.list_listings(ListingFilter("acme", after_key="K03", limit=2))) == [
        "K04",
        "K05",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        home("BAD", standard_status="Sold-ish"),
        home("BAD", tenant="ghost"),
        home(""),
    ],
    ids=["unknown-status", "unknown-tenant", "empty-key"],
)
def test_a_bad_listing_changes_nothing(tenants: Store, bad: Listing) -> None:
    tenants.upsert_listings([home("L1")], T0)
    with pytest.raises(StoreError):
        tenants.upsert_listings([home("L1", list_price=1.0), home("L2"), bad], T0 + 60)
    got = tenants.get_listing("acme", "L1")
    assert got is not None and got.list_price == 400_000.0 and got.updated_at == T0
    assert tenants.get_listing("acme", "L2") is None
    assert tenants.count_listings("acme") == 1
    assert tenants.count_listings("ghost") == 0


def test_the_store_keeps_its_own_copies(tenants: Store) -> None:
    mine = home("L1", photos=["https://img.example/1.jpg"], extra={"Tags": ["a"]})
    tenants.upsert_listings([mine], T0)
    mine.photos.append("https://img.example/2.jpg")
    mine.extra["Tags"].append("b")
    got = tenants.get_listing("acme", "L1")
    assert got is not None
    assert got.photos == ["https://img.example/1.jpg"] and got.extra == {"Tags": ["a"]}
    assert tenants.upsert_listings([], T0).changes == ()
