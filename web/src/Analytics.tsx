// The analytics screen (`#/analytics`): a workflow's funnel per version and node, drawn as a
// bar chart (recharts) and listed in a table; every number opens the contacts behind it.
import { useCallback, useEffect, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api } from "./api";
import {
  type Drill,
  type Funnel,
  NODE_COLUMNS,
  SEND_COLUMNS,
  drillQuery,
  funnelQuery,
  funnelRows,
  percent,
  versionsOf,
} from "./funnel";

export function DrillContacts({ workflow, drill, windowDays, onClose }: { workflow: string; drill: Drill; windowDays: number; onClose: () => void }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<{ items: string[]; next: string | null } | null>(null);
  const [error, setError] = useState("");
  const after = cursors[cursors.length - 1];
  useEffect(() => {
    setPage(null);
    setError("");
    api<{ items: string[]; next: string | null }>("GET", drillQuery(workflow, drill, windowDays, after))
      .then(setPage)
      .catch((e: Error) => setError(e.message));
  }, [workflow, drill, windowDays, after]);
  const what = drill.node ? `${drill.node} (v${drill.version}): ${drill.metric}` : drill.metric;
  return (
    <section className="drill" aria-label="Contacts behind the number" data-testid="drill">
      <h3>
        Contacts, {what}{" "}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </h3>
      {error && <p role="alert">Could not list the contacts: {error}</p>}
      {!page && !error && <p className="loading">Loading…</p>}
      {page && page.items.length === 0 && <p className="hint">Nobody.</p>}
      {page && (
        <ul>
          {page.items.map((id) => (
            <li key={id}>
              <a href={`#/contacts/${encodeURIComponent(id)}`}>{id}</a>
            </li>
          ))}
        </ul>
      )}
      <div className="pager">
        <button type="button" disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <button type="button" disabled={!page?.next} onClick={() => page?.next && setCursors([...cursors, page.next])}>
          Next
        </button>
      </div>
    </section>
  );
}

function Figure({ value, onOpen, label }: { value: number | undefined; onOpen: () => void; label: string }) {
  if (value === undefined) return <span className="hint">–</span>;
  if (!value) return <span>0</span>;
  return (
    <button type="button" className="link" onClick={onOpen} aria-label={`${value} ${label}: the contacts`}>
      {value}
    </button>
  );
}

export function Analytics() {
  const [workflows, setWorkflows] = useState<string[] | null>(null);
  const [workflow, setWorkflow] = useState("");
  const [windowDays, setWindowDays] = useState(30);
  const [funnel, setFunnel] = useState<Funnel | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [drill, setDrill] = useState<Drill | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    api<{ items: { key: string }[] }>("GET", "/workflows")
      .then((r) => {
        setWorkflows(r.items.map((w) => w.key));
        if (r.items.length) setWorkflow(r.items[0].key);
      })
      .catch((e: Error) => setError(e.message));
  }, []);

  const load = useCallback(async () => {
    if (!workflow) return;
    setLoading(true);
    setError("");
    setDrill(null);
    try {
      const f = await api<Funnel>("GET", funnelQuery(workflow, windowDays));
      setFunnel(f);
      setVersion(versionsOf(f)[0] ?? null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }, [workflow, windowDays]);
  useEffect(() => {
    void load();
  }, [load]);

  const rows = funnel && version !== null ? funnelRows(funnel, version) : [];
  const sends = rows.some((r) => r.sent !== undefined);
  const open = (d: Drill) => setDrill(d);
  return (
    <section className="list analytics" aria-label="Analytics" data-testid="analytics">
      <h2>Analytics</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Workflow{" "}
          <select value={workflow} onChange={(e) => setWorkflow(e.target.value)} disabled={!workflows?.length}>
            {(workflows ?? []).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        {funnel && versionsOf(funnel).length > 0 && (
          <label>
            Version{" "}
            <select value={String(version ?? "")} onChange={(e) => (setVersion(Number(e.target.value)), setDrill(null))}>
              {versionsOf(funnel).map((v) => (
                <option key={v} value={String(v)}>
                  v{v}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Goal window (days){" "}
          <input
            type="number"
            min={1}
            max={3650}
            value={windowDays}
            onChange={(e) => Number(e.target.value) > 0 && setWindowDays(Number(e.target.value))}
          />
        </label>
      </form>
      {workflows && workflows.length === 0 && <p className="hint">No published workflow yet.</p>}
      {error && <p role="alert">Could not load the funnel: {error}</p>}
      {loading && <p className="loading">Loading…</p>}
      {funnel && (
        <>
          <p className="summary" data-testid="funnel-summary">
            Entered <Figure value={funnel.entered} label="entered" onOpen={() => open({ metric: "entered" })} /> · reached
            the goal <Figure value={funnel.goal.converted} label="reached the goal" onOpen={() => open({ metric: "goal" })} /> (
            {percent(funnel.goal.rate)} within {funnel.goal.window_days} days)
          </p>
          {drill && <DrillContacts workflow={workflow} drill={drill} windowDays={windowDays} onClose={() => setDrill(null)} />}
          {rows.length > 0 && (
            <div className="chart" data-testid="funnel-chart" role="img" aria-label={`Funnel of ${workflow} v${version}: ${rows.map((r) => `${r.node} ${r.entered}`).join(", ")}`}>
              <ResponsiveContainer width="100%" height={Math.max(160, 44 * rows.length + 60)}>
                <BarChart data={rows} layout="vertical" margin={{ left: 24, right: 24 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="node" width={140} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="entered" name="entered" fill="#1f5fbf" isAnimationActive={false} />
                  <Bar dataKey="current" name="here now" fill="#b07d00" isAnimationActive={false} />
                  {sends && <Bar dataKey="replied" name="replied" fill="#176b2c" isAnimationActive={false} />}
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Reach</th>
                  {[...NODE_COLUMNS, ...(sends ? SEND_COLUMNS : [])].map((c) => (
                    <th key={c} scope="col">
                      {c.replace("_", " ")}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.node} data-testid={`funnel-${r.node}`}>
                    <td data-label="Node">
                      {r.node} <span className="hint">{r.kind}</span>
                    </td>
                    <td data-label="Reach">{percent(r.reach)}</td>
                    {[...NODE_COLUMNS, ...(sends ? SEND_COLUMNS : [])].map((c) => (
                      <td key={c} data-label={c}>
                        <Figure
                          value={r[c]}
                          label={`${c} at ${r.node}`}
                          onOpen={() => open({ metric: c, version: r.version, node: r.node })}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
