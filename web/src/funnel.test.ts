import { describe, expect, it } from "vitest";
import { type Funnel, drillQuery, funnelQuery, funnelRows, percent, versionsOf } from "./funnel";

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
