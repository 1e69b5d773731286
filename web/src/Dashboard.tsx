// The dashboard's lists (contacts, runs, messages), each paged on the server (keyset cursors:
// `after` = the page's `next`), and a contact's timeline. Times in the viewer's zone; a
// contact's own zone beside them on its page.
import { type ReactNode, useCallback, useEffect, useState } from "react";
import { api } from "./api";
import { ContactScore, storedScore } from "./ContactScore";
import { ContactTasks } from "./ContactTasks";
import { RewindPanel } from "./Rewind";

type Row = Record<string, unknown>;
interface Page {
  items: Row[];
  next: string | number | null;
}
interface Column {
  title: string;
  cell: (row: Row) => ReactNode;
}
interface Filter {
  name: string;
  label: string;
  options?: string[];
}

export function when(value: unknown, zone?: string | null): string {
  if (typeof value !== "string" || !value) return "";
  const date = new Date(value);
  const local = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  if (!zone) return local;
  try {
    const theirs = date.toLocaleString(undefined, { timeStyle: "short", timeZone: zone });
    return `${local} (${theirs} ${zone})`;
  } catch {
    return local;
  }
}

const PAGE_SIZE = 25;

export function PagedTable({
  title,
  path,
  columns,
  filters = [],
  fixed = {},
  testId,
  reloadKey = 0,
}: {
  title: string;
  path: string;
  columns: Column[];
  filters?: Filter[];
  fixed?: Record<string, string>;
  testId: string;
  reloadKey?: number;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [applied, setApplied] = useState<Record<string, string>>({});
  const [cursors, setCursors] = useState<(string | number)[]>([]); // the `after` of each page shown
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);
  const fixedText = JSON.stringify(fixed);

  const load = useCallback(async () => {
    setLoading(true);
    setError("");
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...JSON.parse(fixedText) });
    for (const [k, v] of Object.entries(applied)) if (v) query.set(k, v);
    const after = cursors[cursors.length - 1];
    if (after !== undefined) query.set("after", String(after));
    try {
      setPage(await api<Page>("GET", `${path}?${query}`));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }, [path, applied, cursors, fixedText]);

  useEffect(() => {
    void load();
  }, [load, reloadKey]);

  return (
    <section className="list" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      {filters.length > 0 && (
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setCursors([]);
            setApplied(values);
          }}
        >
          {filters.map((f) => (
            <label key={f.name}>
              {f.label}{" "}
              {f.options ? (
                <select value={values[f.name] ?? ""} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}>
                  <option value="">any</option>
                  {f.options.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : (
                <input value={values[f.name] ?? ""} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} />
              )}
            </label>
          ))}
          <button type="submit">Filter</button>
        </form>
      )}
      {error && <p role="alert">Could not load {title.toLowerCase()}: {error}</p>}
      {loading && !page && <p className="loading">Loading…</p>}
      {page && (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th key={c.title} scope="col">
                      {c.title}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.items.map((row, n) => (
                  <tr key={String(row.id ?? n)}>
                    {columns.map((c) => (
                      <td key={c.title} data-label={c.title}>
                        {c.cell(row)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.items.length === 0 && <p className="hint">Nothing here.</p>}
          <nav className="pager" aria-label={`${title} pages`}>
            <button disabled={!cursors.length || loading} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous
            </button>
            <span>Page {cursors.length + 1}</span>
            <button
              disabled={page.next === null || loading}
              onClick={() => page.next !== null && setCursors([...cursors, page.next])}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

const text = (field: string) => (row: Row) => (row[field] === null || row[field] === undefined ? "" : String(row[field]));
const time = (field: string) => (row: Row) => when(row[field]);
const contactLink = (row: Row) =>
  row.contact_id ? <a href={`#/contacts/${encodeURIComponent(String(row.contact_id))}`}>{String(row.contact_id)}</a> : "";

export function Contacts() {
  return (
    <PagedTable
      title="Contacts"
      path="/contacts"
      testId="contacts"
      filters={[
        { name: "q", label: "Search" },
        { name: "stage", label: "Stage" },
        { name: "owner", label: "Owner" },
        { name: "tag", label: "Tag" },
      ]}
      columns={[
        {
          title: "Name",
          cell: (r) => (
            <a href={`#/contacts/${encodeURIComponent(String(r.id))}`}>
              {[r.first_name, r.last_name].filter(Boolean).join(" ") || String(r.id)}
            </a>
          ),
        },
        { title: "E-mail", cell: text("email") },
        { title: "Phone", cell: text("phone") },
        { title: "Stage", cell: text("stage") },
        { title: "Score", cell: (r) => storedScore(r.fields) },
        { title: "Owner", cell: text("owner") },
        {
          title: "Consent",
          cell: (r) =>
            Object.entries((r.consent as Record<string, string>) ?? {})
              .map(([k, v]) => `${k}: ${v}`)
              .join(", "),
        },
        { title: "Updated", cell: time("updated_at") },
      ]}
    />
  );
}

const RUN_STATUSES = ["active", "waiting", "paused", "completed", "exited", "failed", "cancelled"];

export function Runs({ canWrite }: { canWrite: boolean }) {
  const [reload, setReload] = useState(0);
  const [notice, setNotice] = useState("");
  const [rewinding, setRewinding] = useState<string | null>(null);
  const act = async (id: unknown, action: string) => {
    try {
      await api("POST", `/runs/${String(id)}/${action}`);
      setNotice(`Run ${String(id)}: ${action} done.`);
      setReload((n) => n + 1);
    } catch (e) {
      setNotice(`Run ${String(id)}: ${action} refused: ${(e as Error).message}`);
    }
  };
  return (
    <>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {rewinding && (
        <RewindPanel
          key={rewinding}
          runId={rewinding}
          onClose={() => setRewinding(null)}
          onDone={(text) => {
            setNotice(text);
            setRewinding(null);
            setReload((n) => n + 1);
          }}
        />
      )}
      <PagedTable
        title="Runs"
        path="/runs"
        testId="runs"
        reloadKey={reload}
        filters={[
          { name: "workflow_key", label: "Workflow" },
          { name: "status", label: "Status", options: RUN_STATUSES },
        ]}
        columns={[
          { title: "Run", cell: text("id") },
          { title: "Workflow", cell: (r) => `${String(r.workflow_key)} v${String(r.version)}` },
          { title: "Contact", cell: contactLink },
          { title: "Status", cell: text("status") },
          { title: "At node", cell: text("node") },
          { title: "Wakes", cell: time("wake_at") },
          {
            title: "Actions",
            cell: (r) =>
              canWrite ? (
                <span className="actions">
                  {["pause", "resume", "cancel", "retry"].map((a) => (
                    <button key={a} onClick={() => void act(r.id, a)}>
                      {a}
                    </button>
                  ))}
                  <button onClick={() => setRewinding(String(r.id))} aria-label={`rewind run ${String(r.id)}`}>
                    rewind
                  </button>
                </span>
              ) : (
                ""
              ),
          },
        ]}
      />
    </>
  );
}

const MESSAGE_COLUMNS: Column[] = [
  { title: "Due", cell: time("due_at") },
  { title: "Channel", cell: text("channel") },
  { title: "Status", cell: text("status") },
  { title: "Why held back", cell: (r) => String(r.suppressed_reason ?? r.error ?? "") },
  { title: "Workflow", cell: (r) => (r.workflow_key ? `${String(r.workflow_key)} / ${String(r.node)}` : "") },
  { title: "Text", cell: (r) => String(r.subject ?? r.body ?? "").slice(0, 80) },
];

export function Messages() {
  return (
    <PagedTable
      title="Messages"
      path="/messages"
      testId="messages"
      filters={[
        { name: "channel", label: "Channel", options: ["sms", "email", "voice", "webhook"] },
        { name: "status", label: "Status" },
      ]}
      columns={[{ title: "Contact", cell: contactLink }, ...MESSAGE_COLUMNS]}
    />
  );
}

export function ContactPage({ id }: { id: string }) {
  const [contact, setContact] = useState<Row | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api<Row>("GET", `/contacts/${encodeURIComponent(id)}`)
      .then(setContact)
      .catch((e: Error) => setError(e.message));
  }, [id]);
  if (error) return <p role="alert">{error}</p>;
  if (!contact) return <p className="loading">Loading…</p>;
  const zone = (contact.time_zone as string | null) ?? null;
  const fixed = { contact_id: id };
  return (
    <div className="contact" data-testid="contact">
      <h2>{[contact.first_name, contact.last_name].filter(Boolean).join(" ") || id}</h2>
      <dl>
        <dt>E-mail</dt>
        <dd>{String(contact.email ?? "")}</dd>
        <dt>Phone</dt>
        <dd>{String(contact.phone ?? "")}</dd>
        <dt>Time zone</dt>
        <dd>{zone ?? "not known"}</dd>
        <dt>Owner</dt>
        <dd>{String(contact.owner ?? "")}</dd>
        <dt>Stage</dt>
        <dd>{String(contact.stage ?? "")}</dd>
        <dt>Consent</dt>
        <dd>
          {Object.entries((contact.consent as Record<string, string>) ?? {})
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ") || "none recorded"}
        </dd>
      </dl>
      <ContactScore id={id} at={(v) => when(v, zone)} />
      <PagedTable
        title="Events"
        path="/events"
        testId="timeline-events"
        fixed={fixed}
        columns={[
          { title: "When", cell: (r) => when(r.occurred_at, zone) },
          { title: "Type", cell: text("type") },
          { title: "Status", cell: text("status") },
          { title: "Data", cell: (r) => JSON.stringify(r.data).slice(0, 100) },
        ]}
      />
      <PagedTable title="Messages" path="/messages" testId="timeline-messages" fixed={fixed} columns={MESSAGE_COLUMNS} />
      <PagedTable
        title="Runs"
        path="/runs"
        testId="timeline-runs"
        fixed={fixed}
        columns={[
          { title: "Run", cell: text("id") },
          { title: "Workflow", cell: (r) => `${String(r.workflow_key)} v${String(r.version)}` },
          { title: "Status", cell: text("status") },
          { title: "At node", cell: text("node") },
          { title: "Started", cell: (r) => when(r.created_at, zone) },
        ]}
      />
      <ContactTasks id={id} zone={zone} />
    </div>
  );
}
