// The designer's simulation (POST /api/v1/workflows/simulate): the answer's types, and its
// counts keyed as the canvas keys nodes and edges. The server names an edge by the definition's
// path (`cases[0].next`), the canvas by its handle (`cases.0.next`).
export interface SimNode {
  node: string;
  kind: string;
  entered: number;
  completed: number;
  failed: number;
  current: number;
  exited: number;
  sent: number;
  exit_reasons: Record<string, number>;
}

export interface SimEdge {
  source: string;
  port: string;
  target: string;
  runs: number;
}

export interface SimFailure {
  node: string;
  reason: string;
  count: number;
}

export interface Simulated {
  key: string;
  leads: number;
  virtual_days: number;
  seed: number;
  nodes: SimNode[];
  edges: SimEdge[];
  runs: Record<string, number>;
  messages: Record<string, number>;
  deferred_for_quiet_hours: number;
  suppressed: Record<string, number>;
  failure_list: SimFailure[];
  not_reached: string[];
  notes: string[];
  warnings: string[];
}

export const SIM_LIMITS = { leads: 500, days: 60 } as const;

/** The canvas handle of a definition path: `cases[0].next` -> `cases.0.next`. */
export function handleOf(port: string): string {
  return port.replace(/\[(\d+)\]/g, ".$1");
}

/** Runs per canvas edge id (`<source>:<handle>`). */
export function simEdgeRuns(edges: SimEdge[]): Map<string, number> {
  return new Map(edges.map((e) => [`${e.source}:${handleOf(e.port)}`, e.runs]));
}

/** A node's simulated counts as one short line. */
export function simText(n: SimNode): string {
  const parts = [`in ${n.entered}`, `done ${n.completed}`];
  if (n.failed) parts.push(`failed ${n.failed}`);
  if (n.current) parts.push(`waiting ${n.current}`);
  if (n.exited) parts.push(`exited ${n.exited}`);
  return `simulated: ${parts.join(" · ")}`;
}

/** The request's bounds, checked before it is sent (the server checks them too). */
export function simProblem(leads: number, days: number): string {
  if (!Number.isInteger(leads) || leads < 1 || leads > SIM_LIMITS.leads) {
    return `Leads: a whole number from 1 to ${SIM_LIMITS.leads}.`;
  }
  if (!(days > 0) || days > SIM_LIMITS.days) return `Days: more than 0 and at most ${SIM_LIMITS.days}.`;
  return "";
}
