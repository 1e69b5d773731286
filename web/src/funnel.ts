// The analytics screen's funnel (GET /api/v1/analytics/funnel), apart from the screen: the
// versions it spans, one version's nodes as chart rows, and the query behind a number (GET
// /api/v1/analytics/funnel/contacts lists the contacts a number counts).
export interface FunnelNode {
  version: number;
  node: string;
  kind: string;
  entered: number;
  completed: number;
  failed: number;
  current: number;
  exited: Record<string, number>;
  sent?: number;
  delivered?: number;
  opened?: number;
  clicked?: number;
  replied?: number;
  suppressed?: number;
  send_failed?: number;
}

export interface Funnel {
  workflow: string;
  entered: number;
  by_status: Record<string, number>;
  exited: Record<string, number>;
  goal: { events: string[]; window_days: number; converted: number; rate: number };
  nodes: FunnelNode[];
}

/** The node metrics a row shows, in order, and the message metrics of a sending node. */
export const NODE_COLUMNS = ["entered", "current", "completed", "failed"] as const;
export const SEND_COLUMNS = ["sent", "delivered", "replied", "send_failed"] as const;

/** The versions the funnel has nodes of, newest first. */
export function versionsOf(f: Funnel): number[] {
  return [...new Set(f.nodes.map((n) => n.version))].sort((a, b) => b - a);
}

export interface FunnelRow extends FunnelNode {
  /** Share of the workflow's entries that reached this node (0..1). */
  reach: number;
}

/** One version's nodes in the order the report gives them (the definition's), with their
 * reach against the version's first node. */
export function funnelRows(f: Funnel, version: number): FunnelRow[] {
  const rows = f.nodes.filter((n) => n.version === version);
  const top = Math.max(0, ...rows.map((r) => r.entered));
  return rows.map((r) => ({ ...r, reach: top ? r.entered / top : 0 }));
}

export interface Drill {
  metric: string;
  version?: number;
  node?: string;
}

/** The query of the contacts behind a number: a node's (with its version) or the workflow's. */
export function drillQuery(workflow: string, d: Drill, windowDays: number, after?: string | null): string {
  const q = new URLSearchParams({ workflow, metric: d.metric, window_days: String(windowDays), limit: "25" });
  if (d.node !== undefined && d.version !== undefined) {
    q.set("version", String(d.version));
    q.set("node", d.node);
  }
  if (after) q.set("after", after);
  return `/analytics/funnel/contacts?${q}`;
}

export function funnelQuery(workflow: string, windowDays: number): string {
  return `/analytics/funnel?${new URLSearchParams({ workflow, window_days: String(windowDays) })}`;
}

/** The designer's goal line for a published workflow: its runs that met a goal, all versions. */
export function goalText(f: Pick<Funnel, "entered" | "goal">): string {
  const { converted, rate, window_days } = f.goal;
  return `goal (all versions, ${window_days} days): ${converted} of ${f.entered} converted (${percent(rate)})`;
}

/** "42%" for a share. */
export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** The port (edge handle) a decision outcome of the funnel left by: `case:<i>` by the branch's
 * i-th case, `default` by its else, `arm:<name>` by the split's arm of that name, `event` and
 * `timeout` by a wait_for_event's two ports. */
export function outcomeHandle(def: { kind: string; arms?: unknown }, outcome: string): string | null {
  if (outcome.startsWith("case:")) return `cases.${outcome.slice(5)}.next`;
  if (outcome === "default") return "default";
  if (outcome === "event") return "on_event";
  if (outcome === "timeout") return "on_timeout";
  if (outcome.startsWith("arm:") && Array.isArray(def.arms)) {
    const i = (def.arms as { name?: unknown }[]).findIndex((a) => a && a.name === outcome.slice(4));
    return i < 0 ? null : `arms.${i}.next`;
  }
  return null;
}

/** Runs per edge (`<node>:<handle>`, the designer's edge ids) of one version, from the
 * funnel's decision outcomes. */
export function edgeRuns(
  f: { nodes: (FunnelNode & { outcomes?: Record<string, { runs: number }> })[] },
  version: number,
  defs: { id: string; kind: string; arms?: unknown }[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of f.nodes) {
    if (row.version !== version || !row.outcomes) continue;
    const def = defs.find((d) => d.id === row.node);
    if (!def) continue;
    for (const [outcome, { runs }] of Object.entries(row.outcomes)) {
      const handle = outcomeHandle(def, outcome);
      if (handle) out.set(`${row.node}:${handle}`, (out.get(`${row.node}:${handle}`) ?? 0) + runs);
    }
  }
  return out;
}
