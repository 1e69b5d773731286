// The designer's graph logic, free of React: a workflow is its settings (Meta) and its nodes
// (Item: the node's definition as the API takes it, plus where it sits on the canvas). Edges are
// not stored apart: they are the node fields that name another node (next, on_event,
// cases[i].next, arms[i].next ...), so the definition stays the one source of truth.
import dagre from "@dagrejs/dagre";

export type Def = { id: string; kind: string; [field: string]: unknown };
export interface Position {
  x: number;
  y: number;
}
export interface Item {
  id: string;
  position: Position;
  def: Def;
}
export interface Meta {
  key: string;
  name: string;
  description?: string;
  triggers: unknown[];
  settings?: Record<string, unknown>;
  start: string;
}
export interface Port {
  handle: string; // the field path: "next", "on_timeout", "cases.0.next", "arms.1.next"
  label: string;
}
export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  handle: string;
  label: string;
}
export interface Problem {
  path: string;
  problem: string;
}

export const NODE_W = 220;
export const NODE_H = 84;
const ENDS = new Set(["exit", "goal"]);
const FAILS = new Set(["send_sms", "send_email", "voice_call", "webhook", "action"]);

type Cond = Record<string, unknown>;

/** A condition as one short line: `contact.state in FL,OK`, `all(a, b)`, `not(x)`. */
export function conditionText(cond: unknown): string {
  if (!cond || typeof cond !== "object") return "?";
  const c = cond as Cond;
  if (Array.isArray(c.all)) return `all(${c.all.map(conditionText).join(", ")})`;
  if (Array.isArray(c.any)) return `any(${c.any.map(conditionText).join(", ")})`;
  if (c.not !== undefined) return `not(${conditionText(c.not)})`;
  const value = c.value === undefined || c.value === null ? "" : ` ${String(c.value)}`;
  return `${String(c.field ?? "?")} ${String(c.op ?? "?")}${value}`;
}

/** The outgoing ports of a node, each with the meaning its edge carries. */
export function portsOf(def: Def): Port[] {
  if (ENDS.has(def.kind)) return [];
  if (def.kind === "branch") {
    const cases = Array.isArray(def.cases) ? (def.cases as Cond[]) : [];
    return [
      ...cases.map((c, i) => ({ handle: `cases.${i}.next`, label: `if ${conditionText(c.when)}` })),
      { handle: "default", label: "else" },
    ];
  }
  if (def.kind === "split") {
    const arms = Array.isArray(def.arms) ? (def.arms as Cond[]) : [];
    const total = arms.reduce((sum, a) => sum + (Number(a.weight) || 0), 0) || 1;
    return arms.map((a, i) => ({
      handle: `arms.${i}.next`,
      label: `${String(a.name ?? `arm ${i + 1}`)} ${Math.round(((Number(a.weight) || 0) / total) * 100)}%`,
    }));
  }
  if (def.kind === "wait_for_event") {
    const timeout = def.timeout ? ` ${String(def.timeout)}` : "";
    return [
      { handle: "on_event", label: `on ${String(def.event || "event")}` },
      { handle: "on_timeout", label: `timeout${timeout}` },
    ];
  }
  if (def.kind === "parallel") {
    const branches = Array.isArray(def.branches) ? (def.branches as Cond[]) : [];
    const timeout = def.timeout ? `, timeout ${String(def.timeout)}` : "";
    return [
      ...branches.map((b, i) => ({
        handle: `branches.${i}.start`,
        label: `branch ${String(b.name ?? i + 1)}`,
      })),
      { handle: "next", label: `join ${String(def.join ?? "all")}${timeout}` },
    ];
  }
  const ports: Port[] = [{ handle: "next", label: "next" }];
  if (FAILS.has(def.kind)) ports.push({ handle: "on_error", label: "on error" });
  return ports;
}

function pathOf(handle: string): (string | number)[] {
  return handle.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The node id a port points at, if any. */
export function targetOf(def: Def, handle: string): string | undefined {
  let at: unknown = def;
  for (const part of pathOf(handle)) {
    if (!at || typeof at !== "object") return undefined;
    at = (at as Record<string | number, unknown>)[part];
  }
  return typeof at === "string" && at ? at : undefined;
}

/** A copy of ``def`` with the port pointing at ``target`` (or cleared, with null). */
export function withTarget(def: Def, handle: string, target: string | null): Def {
  const copy = structuredClone(def);
  const path = pathOf(handle);
  let at: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) {
    const next = at[part];
    if (!next || typeof next !== "object") return copy; // no such case or arm
    at = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (target === null) delete at[last];
  else at[last] = target;
  return copy;
}

export function edgesOf(items: Item[]): GraphEdge[] {
  const ids = new Set(items.map((i) => i.id));
  const out: GraphEdge[] = [];
  for (const item of items) {
    for (const port of portsOf(item.def)) {
      const target = targetOf(item.def, port.handle);
      if (target && ids.has(target)) {
        out.push({
          id: `${item.id}:${port.handle}`,
          source: item.id,
          target,
          handle: port.handle,
          label: port.label,
        });
      }
    }
  }
  return out;
}

/** A fresh node of ``kind``: its required fields present (empty where the user must say). */
export function newDef(kind: string, id: string): Def {
  switch (kind) {
    case "send_sms":
      return { id, kind, body: "" };
    case "send_email":
      return { id, kind, subject: "", body: "" };
    case "send_whatsapp":
    case "send_messenger":
      return { id, kind, body: "" };
    case "ai_compose":
      return { id, kind, channel: "sms", brief: "", body: "" };
    case "notify_agent":
      return { id, kind, title: "" };
    case "wait":
      return { id, kind, duration: "1d" };
    case "wait_until":
      return { id, kind, time: "10:00" };
    case "wait_for_event":
      return { id, kind, event: "sms.received", timeout: "2d" };
    case "branch":
      return { id, kind, cases: [{ when: { field: "contact.stage", op: "eq", value: "new" }, next: "" }] };
    case "split":
      return { id, kind, arms: [{ name: "a", weight: 50 }, { name: "b", weight: 50 }] };
    case "parallel":
      return { id, kind, branches: [{ name: "a", start: "" }, { name: "b", start: "" }], join: "all" };
    case "start_workflow":
      return { id, kind, workflow: "" };
    case "webhook":
      return { id, kind, url: "" };
    case "action":
      return { id, kind, action: "" };
    case "goal":
      return { id, kind, goal: "converted" };
    default:
      return { id, kind };
  }
}

export function newId(kind: string, items: Item[]): string {
  const taken = new Set(items.map((i) => i.id));
  for (let n = 1; ; n++) {
    const id = `${kind}_${n}`;
    if (!taken.has(id)) return id;
  }
}

/** The items without ``ids``; every port that pointed at one is cleared. */
export function removeItems(items: Item[], ids: Set<string>): Item[] {
  return items
    .filter((i) => !ids.has(i.id))
    .map((item) => {
      let def = item.def;
      for (const port of portsOf(def)) {
        const target = targetOf(def, port.handle);
        if (target && ids.has(target)) def = withTarget(def, port.handle, null);
      }
      return def === item.def ? item : { ...item, def };
    });
}

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = clean(v);
    }
    return out;
  }
  return value;
}

/** The definition the API and the CLI take (no canvas positions, no null fields). */
export function toDefinition(meta: Meta, items: Item[]): Record<string, unknown> {
  const out: Record<string, unknown> = { key: meta.key, name: meta.name };
  if (meta.description) out.description = meta.description;
  out.triggers = meta.triggers;
  if (meta.settings && Object.keys(meta.settings).length) out.settings = meta.settings;
  out.start = meta.start || items[0]?.id || "";
  out.nodes = items.map((i) => clean(i.def));
  return out;
}

/** Meta and items from a definition (positions laid out when it has none). */
export function fromDefinition(data: unknown): { meta: Meta; items: Item[] } {
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new Error("a workflow definition is a mapping (key, name, start, nodes ...)");
  }
  const d = data as Record<string, unknown>;
  if (!Array.isArray(d.nodes)) throw new Error("nodes: a list of nodes is required");
  const items: Item[] = d.nodes.map((n, i) => {
    if (!n || typeof n !== "object" || typeof (n as Def).id !== "string") {
      throw new Error(`nodes[${i}]: a node needs an id`);
    }
    return { id: (n as Def).id, position: { x: 0, y: 0 }, def: n as Def };
  });
  const meta: Meta = {
    key: String(d.key ?? ""),
    name: String(d.name ?? ""),
    triggers: Array.isArray(d.triggers) ? d.triggers : [],
    start: String(d.start ?? items[0]?.id ?? ""),
  };
  if (typeof d.description === "string") meta.description = d.description;
  if (d.settings && typeof d.settings === "object") meta.settings = d.settings as Record<string, unknown>;
  return { meta, items: layout(items) };
}

/** Layered top-down layout (dagre): positions only, nothing else changes. */
export function layout(items: Item[]): Item[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 50, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const item of items) g.setNode(item.id, { width: NODE_W, height: NODE_H });
  for (const e of edgesOf(items)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return items.map((item) => {
    const n = g.node(item.id);
    return { ...item, position: { x: Math.round(n.x - NODE_W / 2), y: Math.round(n.y - NODE_H / 2) } };
  });
}

const NODE_PATH = /^nodes\[(\d+)\](?:\(([^)]*)\))?/;

/** The API's validation problems by node id (``nodes[2](wait_1).duration: ...``), and the
 * ones about the workflow as a whole. */
export function problemsByNode(problems: Problem[], items: Item[]): {
  byNode: Map<string, string[]>;
  general: Problem[];
} {
  const byNode = new Map<string, string[]>();
  const general: Problem[] = [];
  for (const p of problems) {
    const m = NODE_PATH.exec(p.path);
    const id = m ? (m[2] ?? items[Number(m[1])]?.id) : undefined;
    if (id && items.some((i) => i.id === id)) {
      const field = p.path.slice(m![0].length).replace(/^\./, "");
      byNode.set(id, [...(byNode.get(id) ?? []), field ? `${field}: ${p.problem}` : p.problem]);
    } else {
      general.push(p);
    }
  }
  return { byNode, general };
}

/** Copies of ``picked`` for pasting beside the originals: fresh ids, edges between the copied
 * nodes kept (renamed), edges to nodes not copied dropped. */
export function copyItems(picked: Item[], existing: Item[], offset = 40): Item[] {
  const taken = [...existing];
  const rename = new Map<string, string>();
  for (const item of picked) {
    const id = newId(item.def.kind, taken);
    rename.set(item.id, id);
    taken.push({ ...item, id });
  }
  return picked.map((item) => {
    const id = rename.get(item.id)!;
    let def: Def = { ...structuredClone(item.def), id };
    for (const port of portsOf(def)) {
      const target = targetOf(def, port.handle);
      if (target) def = withTarget(def, port.handle, rename.get(target) ?? null);
    }
    return { id, def, position: { x: item.position.x + offset, y: item.position.y + offset } };
  });
}

export interface DefinitionDiff {
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
  settings: string[]; // top-level fields other than nodes that differ
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What changed from ``before`` to ``after`` (two definitions), node by node. */
export function diffDefinitions(before: Record<string, unknown>, after: Record<string, unknown>): DefinitionDiff {
  const nodes = (d: Record<string, unknown>) =>
    new Map(((d.nodes as Def[] | undefined) ?? []).map((n) => [n.id, clean(n) as Record<string, unknown>]));
  const old = nodes(before);
  const now = nodes(after);
  const changed: DefinitionDiff["changed"] = [];
  for (const [id, n] of now) {
    const o = old.get(id);
    if (!o) continue;
    const fields = [...new Set([...Object.keys(o), ...Object.keys(n)])].filter((f) => !same(o[f], n[f]));
    if (fields.length) changed.push({ id, fields: fields.sort() });
  }
  const tops = new Set([...Object.keys(before), ...Object.keys(after)].filter((k) => k !== "nodes"));
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed,
    settings: [...tops].filter((k) => !same(clean(before[k]), clean(after[k]))).sort(),
  };
}
