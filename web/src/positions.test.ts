import { describe, expect, it } from "vitest";
import { fromDefinition, toDefinition, type Item } from "./graph";
import { parseLayout, toLayout, withPositions } from "./positions";

const item = (id: string, x: number, y: number): Item => ({ id, position: { x, y }, def: { id, kind: "wait" } });

describe("node positions saved with the draft on the server", () => {
  it("writes the layout the API takes and puts it back on open", () => {
    const items = [item("a", 10.4, 20.6), item("b", 300, 40)];
    const sent = toLayout(items);
    expect(sent).toEqual({ nodes: { a: { x: 10.4, y: 20.6 }, b: { x: 300, y: 40 } } });
    // the API's answer, through JSON as the browser reads it
    const back = parseLayout(JSON.parse(JSON.stringify(sent.nodes)));
    const laidOut = [item("a", 0, 0), item("b", 0, 120), item("c", 0, 240)];
    expect(withPositions(laidOut, back).map((i) => i.position)).toEqual([
      { x: 10.4, y: 20.6 },
      { x: 300, y: 40 },
      { x: 0, y: 240 }, // a node added since keeps its laid-out place
    ]);
  });

  it("ignores what is not a position", () => {
    expect(parseLayout({ a: { x: "1", y: 2 }, b: null, c: { x: 1, y: 2 }, d: { x: Infinity, y: 0 } })).toEqual({
      c: { x: 1, y: 2 },
    });
    expect(parseLayout(null)).toEqual({});
    expect(parseLayout([{ x: 1, y: 2 }])).toEqual({});
    expect(parseLayout("{}")).toEqual({});
  });

  it("keeps the layout out of the definition: import, place, export gives the same definition", () => {
    const definition = {
      key: "w",
      name: "W",
      triggers: [{ type: "event", event: "lead.created" }],
      start: "a",
      nodes: [
        { id: "a", kind: "wait", duration: "1d", next: "b" },
        { id: "b", kind: "exit", reason: "done" },
      ],
    };
    const { meta, items } = fromDefinition(structuredClone(definition));
    const placed = withPositions(items, { a: { x: 999, y: -5 } });
    expect(toDefinition(meta, placed)).toEqual(definition);
    expect(JSON.stringify(toDefinition(meta, placed))).not.toContain("999");
  });
});
