import { describe, expect, it } from "vitest";
import type { Item } from "./graph";
import { loadPositions, positionsKey, savePositions, withPositions } from "./positions";

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const item = (id: string, x: number, y: number): Item => ({ id, position: { x, y }, def: { id, kind: "wait" } });

describe("node positions saved with the draft", () => {
  it("keeps each workflow's positions per tenant and puts them back on open", () => {
    const store = new MemoryStorage();
    savePositions(store, "acme", "welcome", [item("a", 10.4, 20.6), item("b", 300, 40)]);
    savePositions(store, "other", "welcome", [item("a", 999, 999)]);
    const saved = loadPositions(store, "acme", "welcome");
    expect(saved).toEqual({ a: { x: 10.4, y: 20.6 }, b: { x: 300, y: 40 } });
    const laidOut = [item("a", 0, 0), item("b", 0, 120), item("c", 0, 240)];
    expect(withPositions(laidOut, saved).map((i) => i.position)).toEqual([
      { x: 10.4, y: 20.6 },
      { x: 300, y: 40 },
      { x: 0, y: 240 }, // a node added since keeps its laid-out place
    ]);
    expect(loadPositions(store, "other", "welcome").a).toEqual({ x: 999, y: 999 });
    expect(loadPositions(store, "acme", "nothing")).toEqual({});
  });

  it("ignores what is not a position and writes nothing without a key", () => {
    const store = new MemoryStorage();
    store.setItem(positionsKey("acme", "w"), JSON.stringify({ a: { x: "1", y: 2 }, b: null, c: { x: 1, y: 2 } }));
    expect(loadPositions(store, "acme", "w")).toEqual({ c: { x: 1, y: 2 } });
    store.setItem(positionsKey("acme", "broken"), "{not json");
    expect(loadPositions(store, "acme", "broken")).toEqual({});
    savePositions(store, "acme", "", [item("a", 1, 1)]);
    expect([...store.data.keys()].some((k) => k.endsWith("."))).toBe(false);
  });
});
