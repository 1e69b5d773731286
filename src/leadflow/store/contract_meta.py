"""The Meta methods of the store contract: tenants' Facebook pages and the Messenger links
(page, PSID) -> contact (see :mod:`leadflow.model.meta`)."""

from __future__ import annotations

import abc

from leadflow.model.meta import MetaPage


class MetaStore(abc.ABC):
    """Facebook pages and Messenger links."""

    @abc.abstractmethod
    def save_meta_page(self, page: MetaPage, now: float) -> str:
        """Register ``page`` for its tenant (``created_at`` becomes ``now``) unless another
        tenant has that page id; the id of the tenant owning the page afterwards. Saving a page
        again for its own tenant replaces its name and access token."""

    @abc.abstractmethod
    def meta_page(self, page_id: str) -> MetaPage | None:
        """The page with this id, whichever tenant has it (webhooks route by it), or None."""

    @abc.abstractmethod
    def list_meta_pages(self, tenant_id: str) -> list[MetaPage]:
        """The tenant's pages by page id."""

    @abc.abstractmethod
    def remove_meta_page(self, tenant_id: str, page_id: str) -> bool:
        """Remove the tenant's page and its Messenger links; False when the tenant has no such
        page."""

    @abc.abstractmethod
    def link_messenger(
        self, tenant_id: str, page_id: str, psid: str, contact_id: str, now: float
    ) -> str:
        """Link (page, PSID) to ``contact_id`` unless it is linked already; the contact id linked
        afterwards (the first one wins)."""

    @abc.abstractmethod
    def messenger_contact(self, tenant_id: str, page_id: str, psid: str) -> str | None:
        """The contact of the tenant linked to (page, PSID), or None."""

    @abc.abstractmethod
    def relink_messenger(
        self, tenant_id: str, page_id: str, psid: str, contact_id: str, now: float
    ) -> None:
        """Point (page, PSID) at ``contact_id`` (its old contact was deleted)."""
