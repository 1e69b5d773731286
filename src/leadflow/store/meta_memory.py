"""Facebook pages and Messenger links in the memory backend (the SQL backends' rules)."""

from __future__ import annotations

from dataclasses import replace

from leadflow.model.meta import MetaPage
from leadflow.store.contract_meta import MetaStore
from leadflow.store.parts import MemoryPart


class MemoryMeta(MemoryPart, MetaStore):
    def _pages(self) -> dict[str, MetaPage]:
        return self._table("_meta_pages", dict)

    def _links(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(page, psid) -> (tenant, contact)"""
        return self._table("_messenger_links", dict)

    def save_meta_page(self, page: MetaPage, now: float) -> str:
        with self._lock:
            pages = self._pages()
            found = pages.get(page.page_id)
            if found is None:
                pages[page.page_id] = replace(page, created_at=now)
                return page.tenant_id
            if found.tenant_id == page.tenant_id:
                pages[page.page_id] = replace(page, created_at=found.created_at)
            return found.tenant_id

    def meta_page(self, page_id: str) -> MetaPage | None:
        with self._lock:
            return self._pages().get(page_id)

    def list_meta_pages(self, tenant_id: str) -> list[MetaPage]:
        with self._lock:
            mine = [p for p in self._pages().values() if p.tenant_id == tenant_id]
        return sorted(mine, key=lambda p: p.page_id)

    def remove_meta_page(self, tenant_id: str, page_id: str) -> bool:
        with self._lock:
            pages = self._pages()
            found = pages.get(page_id)
            if found is None or found.tenant_id != tenant_id:
                return False
            del pages[page_id]
            links = self._links()
            for key in [k for k in links if k[0] == page_id]:
                del links[key]
            return True

    def link_messenger(
        self, tenant_id: str, page_id: str, psid: str, contact_id: str, now: float
    ) -> str:
        with self._lock:
            links = self._links()
            found = links.setdefault((page_id, psid), (tenant_id, contact_id))
            return found[1]

    def messenger_contact(self, tenant_id: str, page_id: str, psid: str) -> str | None:
        with self._lock:
            found = self._links().get((page_id, psid))
        return found[1] if found is not None and found[0] == tenant_id else None

    def relink_messenger(
        self, tenant_id: str, page_id: str, psid: str, contact_id: str, now: float
    ) -> None:
        with self._lock:
            self._links()[(page_id, psid)] = (tenant_id, contact_id)
