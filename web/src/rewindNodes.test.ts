import { describe, expect, it } from "vitest";
import { visitedNodes } from "./rewindNodes";

describe("a run's rewind targets", () => {
  it("lists each visited node once, first visit first, rewinds left out", () => {
    const steps = [
      { node: "hello", kind: "send_sms" },
      { node: "wait_1", kind: "wait" },
      { node: "wait_1", kind: "wait" },
      { node: "hello", kind: "rewind" },
      { node: "hello", kind: "send_sms" },
      { node: "bye", kind: "exit" },
    ];
    expect(visitedNodes(steps)).toEqual(["hello", "wait_1", "bye"]);
    expect(visitedNodes([])).toEqual([]);
  });
});
