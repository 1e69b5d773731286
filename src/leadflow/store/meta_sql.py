"""Facebook pages and Messenger links on SQLite and PostgreSQL (one SQL, each database's
placeholder style)."""

from __future__ import annotations

from leadflow.model.meta import PAGE_COLS, MetaPage
from leadflow.store.contract_meta import MetaStore
from leadflow.store.parts import SqlPart, from_row


class SqlMeta(SqlPart, MetaStore):
    def save_meta_page(self, page: MetaPage, now: float) -> str:
        row = self._write_then_read(
            f"INSERT INTO meta_pages ({PAGE_COLS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (page_id) DO UPDATE SET name = excluded.name, "
            "access_token = excluded.access_token "
            "WHERE meta_pages.tenant_id = excluded.tenant_id",
            (page.page_id, page.tenant_id, page.name, page.access_token, now),
            "SELECT tenant_id FROM meta_pages WHERE page_id = ?",
            (page.page_id,),
        )
        return str(row[0])

    def meta_page(self, page_id: str) -> MetaPage | None:
        return self._fetch_one_as(
            from_row(MetaPage), f"SELECT {PAGE_COLS} FROM meta_pages WHERE page_id = ?", (page_id,)
        )

    def list_meta_pages(self, tenant_id: str) -> list[MetaPage]:
        return self._fetch_as(
            from_row(MetaPage),
            f"SELECT {PAGE_COLS} FROM meta_pages WHERE tenant_id = ? ORDER BY page_id",
            (tenant_id,),
        )

    def remove_meta_page(self, tenant_id: str, page_id: str) -> bool:
        sql = self._dialect.sql
        with self._write() as conn:
            gone = conn.execute(
                sql("DELETE FROM meta_pages WHERE tenant_id = ? AND page_id = ?"),
                (tenant_id, page_id),
            ).rowcount
            if gone:
                conn.execute(sql("DELETE FROM messenger_links WHERE page_id = ?"), (page_id,))
        return bool(gone)

    def link_messenger(
        self, tenant_id: str, page_id: str, psid: str, contact_id: str, now: float
    ) -> str:
        row = self._write_then_read(
            "INSERT INTO messenger_links (page_id, psid, tenant_id, contact_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (page_id, psid) DO NOTHING",
            (page_id, psid, tenant_id, contact_id, now),
            "SELECT contact_id FROM messenger_links WHERE page_id = ? AND psid = ?",
            (page_id, psid),
        )
        return str(row[0])

    def messenger_contact(self, tenant_id: str, page_id: str, psid: str) -> str | None:
        row = self._fetch_one(
            "SELECT contact_id FROM messenger_links "
            "WHERE page_id = ? AND psid = ? AND tenant_id = ?",
            (page_id, psid, tenant_id),
        )
        return None if row is None else str(row[0])

    def relink_messenger(
        self, tenant_id: str, page_id: str, psid: str, contact_id: str, now: float
    ) -> None:
        self._change(
            "UPDATE messenger_links SET contact_id = ?, tenant_id = ? "
            "WHERE page_id = ? AND psid = ?",
            (contact_id, tenant_id, page_id, psid),
        )
