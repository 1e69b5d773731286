import { describe, expect, it } from "vitest";
import { goalsOf, withGoals } from "./goals";
import { uiFor } from "./Inspector";

describe("a workflow's goals in its settings", () => {
  it("reads the goals and ignores what is not a list of objects", () => {
    expect(goalsOf(undefined)).toEqual([]);
    expect(goalsOf({ goals: "converted" })).toEqual([]);
    expect(goalsOf({ goals: [{ name: "booked", event: "appointment.booked" }, 3] })).toEqual([
      { name: "booked", event: "appointment.booked" },
    ]);
  });

  it("writes them back, keeping the other settings and dropping empty fields", () => {
    const settings = { priority: 2, goals: [{ name: "old" }] };
    expect(withGoals(settings, [{ name: "booked", event: "appointment.booked", when: null }])).toEqual({
      priority: 2,
      goals: [{ name: "booked", event: "appointment.booked" }],
    });
    expect(settings.goals).toEqual([{ name: "old" }]); // not changed in place
  });

  it("leaves no goals key, and no settings, when nothing is left", () => {
    expect(withGoals({ priority: 2, goals: [{ name: "a" }] }, [])).toEqual({ priority: 2 });
    expect(withGoals({ goals: [{ name: "a" }] }, [])).toBeUndefined();
    expect(withGoals(undefined, [])).toBeUndefined();
  });

  it("keeps the goals where they were among the settings", () => {
    const out = withGoals({ goals: [{ name: "a" }], pause_on_reply: true }, [{ name: "b" }]);
    expect(Object.keys(out ?? {})).toEqual(["goals", "pause_on_reply"]);
  });

  it("gives a split's experiment metric and guardrails the event picker", () => {
    const ui = uiFor("split") as Record<string, Record<string, unknown>>;
    expect(ui.experiment).toEqual({
      metric: { event: { "ui:field": "events" } },
      guardrails: { items: { event: { "ui:field": "events" } } },
    });
  });

  it("keeps a goal's condition as it was", () => {
    const when = { all: [{ field: "contact.stage", op: "eq", value: "client" }] };
    expect(withGoals({}, [{ name: "won", when }])).toEqual({ goals: [{ name: "won", when }] });
  });
});
