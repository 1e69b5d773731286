// Node positions saved with a workflow's draft on the server (PUT /workflows/{key}/draft/layout,
// read back as the draft's `layout`). The definition has no place for them (its model forbids
// fields it does not know, and the YAML that the CLI validates stays free of layout), so the
// layout travels beside it: {node id: {x, y}}. Nothing is kept in the browser.
import type { Item, Position } from "./graph";

export type Layout = Record<string, Position>;

/** The layout of the canvas as the API takes it (`{nodes: {id: {x, y}}}`). */
export function toLayout(items: Item[]): { nodes: Layout } {
  const nodes: Layout = {};
  for (const i of items) nodes[i.id] = { x: i.position.x, y: i.position.y };
  return { nodes };
}

/** A layout as the API gave it (or anything else): the entries that are positions. */
export function parseLayout(found: unknown): Layout {
  if (!found || typeof found !== "object" || Array.isArray(found)) return {};
  const out: Layout = {};
  for (const [id, p] of Object.entries(found as Record<string, unknown>)) {
    const { x, y } = (p ?? {}) as Record<string, unknown>;
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)) out[id] = { x, y };
  }
  return out;
}

/** The items with their saved positions; a node saved nowhere keeps its laid-out place. */
export function withPositions(items: Item[], saved: Layout): Item[] {
  return items.map((i) => (saved[i.id] ? { ...i, position: { ...saved[i.id] } } : i));
}
