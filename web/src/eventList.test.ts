import { describe, expect, it } from "vitest";
import { eventsText, eventsValue } from "./eventList";

describe("an experiment metric's event types as one text", () => {
  it("shows one type or a list", () => {
    expect(eventsText("appointment.booked")).toBe("appointment.booked");
    expect(eventsText(["sms.received", "email.received"])).toBe("sms.received, email.received");
    expect(eventsText(null)).toBe("");
  });

  it("reads one type, a list, or nothing", () => {
    expect(eventsValue(" appointment.booked ")).toBe("appointment.booked");
    expect(eventsValue("sms.received, email.received")).toEqual(["sms.received", "email.received"]);
    expect(eventsValue("sms.received,")).toEqual(["sms.received"]); // typing the second one
    expect(eventsValue("  ")).toBeUndefined();
  });
});
