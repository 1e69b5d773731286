import { describe, expect, it } from "vitest";
import { edgesOf, fromDefinition } from "./graph";
import { handleOf, type SimNode, simEdgeRuns, simProblem, simText } from "./simulation";

describe("the simulation drawn on the canvas", () => {
  it("keys the server's edges as the canvas does", () => {
    expect(handleOf("cases[0].next")).toBe("cases.0.next");
    expect(handleOf("arms[12].next")).toBe("arms.12.next");
    expect(handleOf("on_timeout")).toBe("on_timeout");
    const { items } = fromDefinition({
      key: "k",
      name: "K",
      start: "b",
      nodes: [
        { id: "b", kind: "branch", cases: [{ when: { field: "contact.state", op: "eq", value: "TX" }, next: "g" }], default: "g" },
        { id: "g", kind: "goal", goal: "won" },
      ],
    });
    const runs = simEdgeRuns([
      { source: "b", port: "cases[0].next", target: "g", runs: 3 },
      { source: "b", port: "default", target: "g", runs: 7 },
    ]);
    // every edge of the canvas finds its count
    expect(edgesOf(items).map((e) => [e.id, runs.get(e.id)])).toEqual([
      ["b:cases.0.next", 3],
      ["b:default", 7],
    ]);
  });

  it("says a node's numbers, and checks the bounds before asking", () => {
    const n: SimNode = { node: "a", kind: "wait", entered: 10, completed: 6, failed: 1, current: 3, exited: 0, sent: 0, exit_reasons: {} };
    expect(simText(n)).toBe("simulated: in 10 · done 6 · failed 1 · waiting 3");
    expect(simProblem(50, 14)).toBe("");
    expect(simProblem(0, 14)).toMatch(/^Leads/);
    expect(simProblem(501, 14)).toMatch(/^Leads/);
    expect(simProblem(2.5, 14)).toMatch(/^Leads/);
    expect(simProblem(5, 0)).toMatch(/^Days/);
    expect(simProblem(5, 61)).toMatch(/^Days/);
    expect(simProblem(5, Number.NaN)).toMatch(/^Days/);
  });
});
