import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  copyItems,
  diffDefinitions,
  edgesOf,
  fromDefinition,
  layout,
  portsOf,
  problemsByNode,
  toDefinition,
  withTarget,
  type Item,
} from "./graph";
import { smsSegments } from "./sms";
import { createDesignerStore } from "./store";

const item = (def: Item["def"]): Item => ({ id: def.id, position: { x: 0, y: 0 }, def });

describe("ports and edges", () => {
  it("labels branch cases with their condition and split arms with their share", () => {
    const branch = {
      id: "b",
      kind: "branch",
      cases: [{ when: { field: "contact.state", op: "in", value: ["FL", "OK"] }, next: "x" }],
      default: "y",
    };
    expect(portsOf(branch).map((p) => p.label)).toEqual(["if contact.state in FL,OK", "else"]);
    const split = { id: "s", kind: "split", arms: [{ name: "a", weight: 3 }, { name: "b", weight: 1 }] };
    expect(portsOf(split).map((p) => p.label)).toEqual(["a 75%", "b 25%"]);
    const wait = { id: "w", kind: "wait_for_event", event: "sms.received", timeout: "2d" };
    expect(portsOf(wait).map((p) => p.label)).toEqual(["on sms.received", "timeout 2d"]);
    expect(portsOf({ id: "g", kind: "goal", goal: "won" })).toEqual([]);
  });

  it("derives edges from the node fields, ignoring dangling targets", () => {
    const items = [
      item({ id: "a", kind: "send_sms", body: "hi", next: "b" }),
      item({ id: "b", kind: "branch", cases: [{ when: {}, next: "c" }], default: "zz" }),
      item({ id: "c", kind: "exit" }),
    ];
    expect(edgesOf(items).map((e) => `${e.source}-${e.handle}->${e.target}`)).toEqual([
      "a-next->b",
      "b-cases.0.next->c",
    ]);
  });

  it("draws a parallel node's branches to their start nodes and its join to next", () => {
    const fork = {
      id: "p",
      kind: "parallel",
      branches: [{ name: "texts", start: "t" }, { name: "mails", start: "m" }],
      join: "any",
      timeout: "3d",
      next: "after",
    };
    expect(portsOf(fork).map((p) => p.label)).toEqual([
      "branch texts",
      "branch mails",
      "join any, timeout 3d",
    ]);
    const items = [item(fork), item({ id: "t", kind: "exit" }), item({ id: "m", kind: "exit" })];
    expect(edgesOf(items).map((e) => `${e.source}-${e.handle}->${e.target}`)).toEqual([
      "p-branches.0.start->t",
      "p-branches.1.start->m",
    ]);
    const moved = withTarget(fork, "branches.1.start", "after");
    expect((moved.branches as { start: string }[])[1].start).toBe("after");
    expect(fork.branches[1].start).toBe("m");
  });

  it("connects and disconnects nested ports without touching the original", () => {
    const def = { id: "s", kind: "split", arms: [{ name: "a", weight: 1 }] };
    const linked = withTarget(def, "arms.0.next", "t");
    expect((linked.arms as { next?: string }[])[0].next).toBe("t");
    expect((def.arms[0] as { next?: string }).next).toBeUndefined();
    expect((withTarget(linked, "arms.0.next", null).arms as object[])[0]).toEqual({ name: "a", weight: 1 });
  });
});

describe("store", () => {
  it("adds, connects, removes (clearing edges into the removed node) with undo and redo", () => {
    const store = createDesignerStore();
    const s = () => store.getState();
    const a = s().addNode("send_sms", { x: 0, y: 0 });
    const b = s().addNode("wait", { x: 0, y: 100 });
    expect(s().meta.start).toBe(a);
    s().connect(a, "next", b);
    expect(edgesOf(s().items)).toHaveLength(1);
    s().remove([b]);
    expect(s().items.map((i) => i.id)).toEqual([a]);
    expect(s().items[0].def.next).toBeUndefined();
    store.temporal.getState().undo();
    expect(s().items.map((i) => i.id)).toEqual([a, b]);
    expect(edgesOf(s().items)).toHaveLength(1);
    store.temporal.getState().redo();
    expect(s().items).toHaveLength(1);
  });

  it("auto-layout puts each node below the one before it and is undoable", () => {
    const store = createDesignerStore();
    const s = () => store.getState();
    const a = s().addNode("send_sms", { x: 500, y: 500 });
    const b = s().addNode("wait", { x: 0, y: 0 });
    s().connect(a, "next", b);
    s().autoLayout();
    const [pa, pb] = s().items.map((i) => i.position);
    expect(pb.y).toBeGreaterThan(pa.y);
    store.temporal.getState().undo();
    expect(s().items[0].position).toEqual({ x: 500, y: 500 });
  });
});

describe("definitions", () => {
  const yamlText = `key: welcome
name: Welcome
triggers:
  - type: event
    event: lead.created
start: hello
nodes:
  - id: hello
    kind: send_sms
    body: Hi {{ contact.first_name }}
    next: pause
  - id: pause
    kind: wait
    duration: 2h
`;

  it("imports YAML and exports the same definition", () => {
    const { meta, items } = fromDefinition(parse(yamlText));
    expect(stringify(toDefinition(meta, items))).toBe(yamlText);
  });

  it("drops null fields on export (the API refuses nothing it did not get)", () => {
    const { meta, items } = fromDefinition(parse(yamlText));
    items[1].def.name = null;
    expect((toDefinition(meta, items).nodes as object[])[1]).toEqual({ id: "pause", kind: "wait", duration: "2h" });
  });

  it("refuses what is not a definition, saying why", () => {
    expect(() => fromDefinition([1, 2])).toThrow(/mapping/);
    expect(() => fromDefinition({ key: "x" })).toThrow(/nodes/);
  });

  it("lays out a 300-node chain in well under a second", () => {
    const items: Item[] = Array.from({ length: 300 }, (_, i) =>
      item({ id: `n${i}`, kind: "wait", duration: "1h", next: i < 299 ? `n${i + 1}` : undefined }),
    );
    const t0 = performance.now();
    const laid = layout(items);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(new Set(laid.map((i) => i.position.y)).size).toBe(300);
  });
});

describe("problems", () => {
  it("puts each API problem on the node it names", () => {
    const items = [item({ id: "hello", kind: "send_sms", body: "" })];
    const { byNode, general } = problemsByNode(
      [
        { path: "nodes[0](hello).body", problem: "must not be empty" },
        { path: "start", problem: "no node 'x'" },
      ],
      items,
    );
    expect(byNode.get("hello")).toEqual(["body: must not be empty"]);
    expect(general).toEqual([{ path: "start", problem: "no node 'x'" }]);
  });
});

describe("copy and paste", () => {
  it("gives copies new ids, keeps edges among them and drops edges out", () => {
    const items = [
      item({ id: "a", kind: "send_sms", body: "hi", next: "b" }),
      item({ id: "b", kind: "wait", duration: "1h", next: "c" }),
      item({ id: "c", kind: "exit" }),
    ];
    const copies = copyItems(items.slice(0, 2), items);
    expect(copies.map((i) => i.id)).toEqual(["send_sms_1", "wait_1"]);
    expect(copies[0].def.next).toBe("wait_1");
    expect(copies[1].def.next).toBeUndefined();
    expect(copies[0].position).toEqual({ x: 40, y: 40 });
    expect(items[0].def.next).toBe("b");
  });
});

describe("sms segments", () => {
  it("counts GSM-7 and UCS-2 parts as carriers do", () => {
    expect(smsSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(smsSegments("a".repeat(161)).segments).toBe(2);
    expect(smsSegments("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, segments: 1 });
    expect(smsSegments("Hi 🏠")).toEqual({ encoding: "UCS-2", units: 5, segments: 1 });
    expect(smsSegments("é".repeat(10) + "ł".repeat(61)).segments).toBe(2);
  });
});

describe("diff", () => {
  it("names the nodes added, removed and changed (with their fields) and the settings", () => {
    const before = {
      key: "w",
      name: "W",
      start: "a",
      nodes: [
        { id: "a", kind: "send_sms", body: "hi", next: "b" },
        { id: "b", kind: "wait", duration: "1h" },
      ],
    };
    const after = {
      key: "w",
      name: "W2",
      start: "a",
      nodes: [
        { id: "a", kind: "send_sms", body: "hello", next: "c" },
        { id: "c", kind: "exit" },
      ],
    };
    expect(diffDefinitions(before, after)).toEqual({
      added: ["c"],
      removed: ["b"],
      changed: [{ id: "a", fields: ["body", "next"] }],
      settings: ["name"],
    });
    expect(diffDefinitions(before, before)).toEqual({ added: [], removed: [], changed: [], settings: [] });
  });
});
