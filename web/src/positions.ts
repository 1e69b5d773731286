// Node positions saved with a workflow's draft. The definition has no place for them (its
// model forbids fields it does not know, and the YAML that the CLI validates stays free of
// layout), so the browser keeps them: local storage, one entry per tenant and workflow key,
// written when the draft is saved or published and read when the workflow is opened. Nothing
// secret goes there: node ids and coordinates only.
import type { Item, Position } from "./graph";

export type Saved = Record<string, Position>;
type Store = Pick<Storage, "getItem" | "setItem">;

export function positionsKey(tenant: string, workflow: string): string {
  return `leadflow.positions.${tenant}.${workflow}`;
}

export function savePositions(store: Store, tenant: string, workflow: string, items: Item[]): void {
  if (!workflow) return;
  const saved: Saved = {};
  for (const i of items) saved[i.id] = { x: i.position.x, y: i.position.y };
  try {
    store.setItem(positionsKey(tenant, workflow), JSON.stringify(saved));
  } catch {
    // storage full or refused: the layout is a convenience, the draft is saved anyway
  }
}

export function loadPositions(store: Store, tenant: string, workflow: string): Saved {
  try {
    const found: unknown = JSON.parse(store.getItem(positionsKey(tenant, workflow)) ?? "{}");
    if (!found || typeof found !== "object" || Array.isArray(found)) return {};
    const out: Saved = {};
    for (const [id, p] of Object.entries(found as Record<string, unknown>)) {
      const { x, y } = (p ?? {}) as Record<string, unknown>;
      if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)) out[id] = { x, y };
    }
    return out;
  } catch {
    return {};
  }
}

/** The items with their saved positions; a node saved nowhere keeps its laid-out place. */
export function withPositions(items: Item[], saved: Saved): Item[] {
  return items.map((i) => (saved[i.id] ? { ...i, position: { ...saved[i.id] } } : i));
}
