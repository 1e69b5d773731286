// Rewinding a run from the runs screen (POST /api/v1/runs/{id}/rewind, docs/run-rewind.md):
// pick a node the run visited, see the dry run (what changes, what would be sent again, where
// the look-ahead stops), then apply it. Shown to admins and managers only, as the API allows.
import { useEffect, useState } from "react";
import { api } from "./api";
import { visitedNodes } from "./rewindNodes";

interface Rewound {
  run_id: number;
  dry_run: boolean;
  from_node: string | null;
  to_node: string;
  changes: Record<"status" | "node" | "wake_at", { before: string | null; after: string | null }>;
  resend: { node: string; kind: string; channel: string | null }[];
  stops: string;
  still_queued: number[];
  status: string;
  node: string | null;
}

export function RewindPanel({ runId, onClose, onDone }: { runId: string; onClose: () => void; onDone: (text: string) => void }) {
  const [nodes, setNodes] = useState<string[] | null>(null);
  const [target, setTarget] = useState("");
  const [plan, setPlan] = useState<Rewound | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ steps: { node: string; kind: string }[] }>("GET", `/runs/${encodeURIComponent(runId)}/history`)
      .then((h) => {
        const visited = visitedNodes(h.steps);
        setNodes(visited);
        setTarget(visited[0] ?? "");
      })
      .catch((e: Error) => setError(e.message));
  }, [runId]);
  const rewind = async (dryRun: boolean) => {
    setBusy(true);
    setError("");
    try {
      const found = await api<Rewound>("POST", `/runs/${encodeURIComponent(runId)}/rewind`, {
        to_node: target,
        dry_run: dryRun,
      });
      if (dryRun) setPlan(found);
      else onDone(`Run ${runId} rewound to ${found.to_node}: ${found.status} at ${found.node ?? "?"}.`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="rewind" aria-label={`Rewind run ${runId}`} data-testid="rewind">
      <h2>Rewind run {runId}</h2>
      {error && <p role="alert">{error}</p>}
      {!nodes && !error && <p className="loading">Loading the run's history…</p>}
      {nodes && nodes.length === 0 && <p className="hint">The run has visited no node yet.</p>}
      {nodes && nodes.length > 0 && (
        <>
          <label>
            Rewind to node{" "}
            <select
              value={target}
              onChange={(e) => {
                setTarget(e.target.value);
                setPlan(null);
              }}
            >
              {nodes.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </label>{" "}
          <button disabled={busy || !target} onClick={() => void rewind(true)}>
            Dry run
          </button>
        </>
      )}
      {plan && (
        <div data-testid="rewind-plan">
          <p>
            Dry run: the run goes from {plan.changes.node.before ?? "nowhere"} ({plan.changes.status.before}) to{" "}
            {plan.changes.node.after} ({plan.changes.status.after}); {plan.stops}.
          </p>
          <h3>Would be sent again</h3>
          {plan.resend.length === 0 ? (
            <p className="hint">Nothing.</p>
          ) : (
            <ul data-testid="rewind-resend">
              {plan.resend.map((r) => (
                <li key={r.node}>
                  {r.node} ({r.kind}
                  {r.channel ? `, ${r.channel}` : ""})
                </li>
              ))}
            </ul>
          )}
          {plan.still_queued.length > 0 && (
            <p className="hint">
              Still queued and not withdrawn: message{plan.still_queued.length === 1 ? "" : "s"} {plan.still_queued.join(", ")}{" "}
              (pause the run first to hold them back).
            </p>
          )}
          <button className="primary" disabled={busy} onClick={() => void rewind(false)}>
            Apply the rewind to {plan.to_node}
          </button>
        </div>
      )}
      <button onClick={onClose}>Close</button>
    </section>
  );
}
