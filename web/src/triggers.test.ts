import { describe, expect, it } from "vitest";
import { triggerEvent, withTriggerEvent } from "./triggers";

describe("the trigger's event in the toolbar", () => {
  it("reads and changes the first event trigger, keeping the others", () => {
    const schedule = { type: "schedule", cron: "0 9 * * 1" };
    const triggers = [schedule, { type: "event", event: "lead.created", filter: { field: "event.data.source", op: "eq", value: "zillow" } }];
    expect(triggerEvent(triggers)).toBe("lead.created");
    const changed = withTriggerEvent(triggers, "quote.requested");
    expect(changed).toEqual([schedule, { ...triggers[1], event: "quote.requested" }]);
    expect(triggers[1]).toMatchObject({ event: "lead.created" }); // not changed in place
    expect(withTriggerEvent(changed, "")).toEqual([schedule]);
    expect(withTriggerEvent([schedule], "lead.hot")).toEqual([schedule, { type: "event", event: "lead.hot" }]);
    expect(triggerEvent([schedule])).toBe("");
    expect(withTriggerEvent([schedule], "")).toEqual([schedule]);
  });
});
