import { describe, expect, it } from "vitest";
import { type Funnel, drillQuery, edgeRuns, funnelQuery, funnelRows, outcomeHandle, goalText, percent, versionsOf } from "./funnel";

const node = (version: number, name: string, entered: number, extra = {}) => ({
  version,
  node: name,
  kind: "wait",
  entered,
  completed: entered,
  failed: 0,
  current: 0,
  exited: {},
  ...extra,
});

const report: Funnel = {
  workflow: "welcome",
  entered: 12,
  by_status: { completed: 10, waiting: 2 },
  exited: {},
  goal: { events: ["contact.converted"], window_days: 30, converted: 3, rate: 0.25 },
  nodes: [node(1, "hello", 4, { kind: "send_sms", sent: 4 }), node(1, "later", 2), node(2, "hello", 8), node(2, "later", 6)],
};

describe("the analytics funnel", () => {
  it("lists the versions newest first", () => {
    expect(versionsOf(report)).toEqual([2, 1]);
    expect(versionsOf({ ...report, nodes: [] })).toEqual([]);
  });

  it("gives one version's rows with their reach from its first node", () => {
    const rows = funnelRows(report, 2);
    expect(rows.map((r) => [r.node, r.entered, r.reach])).toEqual([
      ["hello", 8, 1],
      ["later", 6, 0.75],
    ]);
    expect(funnelRows(report, 1)[0].sent).toBe(4);
    expect(funnelRows(report, 9)).toEqual([]);
    expect(funnelRows({ ...report, nodes: [node(3, "x", 0)] }, 3)[0].reach).toBe(0);
  });

  it("asks for the contacts behind a node's number or the workflow's", () => {
    expect(drillQuery("welcome", { metric: "sent", version: 1, node: "hello" }, 30)).toBe(
      "/analytics/funnel/contacts?workflow=welcome&metric=sent&window_days=30&limit=25&version=1&node=hello",
    );
    expect(drillQuery("welcome", { metric: "goal" }, 7, "c_9")).toBe(
      "/analytics/funnel/contacts?workflow=welcome&metric=goal&window_days=7&limit=25&after=c_9",
    );
    expect(funnelQuery("a b", 30)).toBe("/analytics/funnel?workflow=a+b&window_days=30");
    expect(percent(0.25)).toBe("25%");
    expect(percent(2 / 3)).toBe("66.7%");
  });
});

describe("runs per edge from the funnel's decision outcomes", () => {
  it("maps each outcome to the port it left by", () => {
    const defs = [
      { id: "fork", kind: "branch" },
      { id: "ab", kind: "split", arms: [{ name: "a" }, { name: "b" }] },
      { id: "hear", kind: "wait_for_event" },
    ];
    const outcomes = (o: Record<string, number>) =>
      Object.fromEntries(Object.entries(o).map(([k, runs]) => [k, { runs, share: 0 }]));
    const f = {
      nodes: [
        { ...node(2, "fork", 5), outcomes: outcomes({ "case:0": 2, "case:1": 1, default: 2 }) },
        { ...node(2, "ab", 4), outcomes: outcomes({ "arm:b": 3, "arm:a": 1, "arm:gone": 9 }) },
        { ...node(2, "hear", 3), outcomes: outcomes({ event: 1, timeout: 2 }) },
        { ...node(1, "fork", 7), outcomes: outcomes({ default: 7 }) },
        { ...node(2, "removed", 1), outcomes: outcomes({ default: 1 }) },
      ],
    };
    expect(Object.fromEntries(edgeRuns(f, 2, defs))).toEqual({
      "fork:cases.0.next": 2,
      "fork:cases.1.next": 1,
      "fork:default": 2,
      "ab:arms.1.next": 3,
      "ab:arms.0.next": 1,
      "hear:on_event": 1,
      "hear:on_timeout": 2,
    });
    expect(Object.fromEntries(edgeRuns(f, 1, defs))).toEqual({ "fork:default": 7 });
    expect(outcomeHandle({ kind: "split" }, "arm:a")).toBeNull();
  });
});

describe("the designer's goal rate line", () => {
  it("says how many runs met a goal, of how many, in which window", () => {
    const f = { entered: 3, goal: { events: ["sms.received"], window_days: 30, converted: 2, rate: 2 / 3 } };
    expect(goalText(f)).toBe("goal (all versions, 30 days): 2 of 3 converted (66.7%)");
    expect(goalText({ ...f, goal: { ...f.goal, converted: 0, rate: 0 } })).toContain("0 of 3 converted (0%)");
  });
});
