// Experiments: the list, and one experiment's report (arms, lift with its interval, the
// holdout, decisions), with apply and stop for admins and managers.
import { useCallback, useEffect, useState } from "react";
import { api } from "./api";
import { when } from "./Dashboard";

type Row = Record<string, unknown>;
interface Analysis {
  difference: string;
  effect: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value?: number | null;
  chance_to_win?: number | null;
}
interface Arm {
  name: string;
  holdout: boolean;
  weight: number;
  contacts: number;
  conversions: number;
  rate: number | null;
  analysis: Analysis | null;
}
interface Report extends Row {
  key: string;
  status: string;
  control: string;
  metric: string;
  method: string;
  arms: Arm[];
  srm_p_value: number | null;
  winner: string | null;
}

const pct = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? "–" : `${(v * 100).toFixed(digits)}%`;
const signed = (v: number | null | undefined) =>
  v === null || v === undefined ? "–" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;

export function ExperimentList() {
  const [items, setItems] = useState<Row[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api<{ items: Row[] }>("GET", "/experiments")
      .then((r) => setItems(r.items))
      .catch((e: Error) => setError(e.message));
  }, []);
  if (error) return <p role="alert">Could not load the experiments: {error}</p>;
  if (!items) return <p className="loading">Loading…</p>;
  return (
    <section className="list" aria-label="Experiments" data-testid="experiments">
      <h2>Experiments</h2>
      {items.length === 0 && <p className="hint">No experiment yet: give a split node an experiment.</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {["Experiment", "Workflow / node", "Status", "Method", "Decides", "Contacts", "Winner"].map((t) => (
                <th key={t} scope="col">
                  {t}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <tr key={String(x.key)}>
                <td data-label="Experiment">
                  <a href={`#/experiments/${encodeURIComponent(String(x.key))}`}>{String(x.key)}</a>
                </td>
                <td data-label="Workflow / node">
                  {String(x.workflow_key)} / {String(x.node_id)}
                </td>
                <td data-label="Status">{String(x.status)}</td>
                <td data-label="Method">{String(x.method)}</td>
                <td data-label="Decides">{String(x.decide)}</td>
                <td data-label="Contacts">{String(x.contacts)}</td>
                <td data-label="Winner">{String(x.winner ?? "")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function ExperimentPage({ id, canWrite }: { id: string; canWrite: boolean }) {
  const [report, setReport] = useState<Report | null>(null);
  const [decisions, setDecisions] = useState<Row[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const path = `/experiments/${encodeURIComponent(id)}`;
  const load = useCallback(() => {
    Promise.all([api<Report>("GET", path), api<{ items: Row[] }>("GET", `${path}/decisions`)])
      .then(([r, d]) => {
        setReport(r);
        setDecisions(d.items);
      })
      .catch((e: Error) => setError(e.message));
  }, [path]);
  useEffect(load, [load]);
  const act = async (what: string, call: () => Promise<unknown>) => {
    if (!window.confirm(what + "?")) return;
    try {
      await call();
      setNotice(`${what}: done.`);
      load();
    } catch (e) {
      setNotice(`${what}: refused: ${(e as Error).message}`);
    }
  };
  if (error) return <p role="alert">{error}</p>;
  if (!report) return <p className="loading">Loading…</p>;
  const running = report.status === "running";
  return (
    <section className="list" aria-label={`Experiment ${id}`} data-testid="experiment">
      <h2>
        {report.key} <small>({report.status})</small>
      </h2>
      <p>
        Metric <strong>{report.metric}</strong>, {report.method}, control <strong>{report.control}</strong>
        {report.srm_p_value !== null && report.srm_p_value < 0.001 && (
          <span role="alert"> — sample-ratio mismatch: the split is broken, nothing is decided</span>
        )}
      </p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="table-wrap">
        <table data-testid="arms">
          <thead>
            <tr>
              {["Arm", "Weight", "Contacts", "Converted", "Rate", "Lift vs control", "Interval", "p / chance", ""].map(
                (t) => (
                  <th key={t} scope="col">
                    {t}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {report.arms.map((a) => (
              <tr key={a.name}>
                <td data-label="Arm">
                  {a.name}
                  {a.holdout ? " (holdout)" : ""}
                  {a.name === report.control ? " (control)" : ""}
                </td>
                <td data-label="Weight">{pct(a.weight, 0)}</td>
                <td data-label="Contacts">{a.contacts}</td>
                <td data-label="Converted">{a.conversions}</td>
                <td data-label="Rate">{pct(a.rate)}</td>
                <td data-label="Lift vs control">{a.analysis ? signed(a.analysis.effect) : ""}</td>
                <td data-label="Interval">
                  {a.analysis ? `${signed(a.analysis.ci_low)} to ${signed(a.analysis.ci_high)}` : ""}
                </td>
                <td data-label="p / chance">
                  {a.analysis?.p_value != null
                    ? `p ${a.analysis.p_value.toFixed(3)}`
                    : a.analysis?.chance_to_win != null
                      ? pct(a.analysis.chance_to_win, 0)
                      : ""}
                </td>
                <td>
                  {canWrite && running && !a.holdout && (
                    <button
                      onClick={() => void act(`Apply ${a.name}`, () => api("POST", `${path}/apply`, { arm: a.name }))}
                    >
                      Apply {a.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canWrite && running && (
        <button onClick={() => void act("Stop the experiment", () => api("POST", `${path}/stop`))}>
          Stop the experiment
        </button>
      )}
      <h3>Decisions</h3>
      <ul data-testid="decisions">
        {decisions.map((d) => (
          <li key={String(d.id)}>
            {when(d.decided_at)}: <strong>{String(d.action)}</strong> — {String(d.reason)}
          </li>
        ))}
      </ul>
    </section>
  );
}
