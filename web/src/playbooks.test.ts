import { describe, expect, it } from "vitest";
import { type Template, initialValues, inputType, installParameters } from "./playbooks";

const param = (name: string, type: string, def: unknown, extra = {}) => ({
  name,
  type,
  default: def,
  required: false,
  description: "",
  min: null,
  max: null,
  choices: null,
  allowed: null,
  ...extra,
});

const template: Template = {
  name: "open-house",
  title: "Open House",
  summary: "",
  audience: "",
  key: "open-house",
  days: [],
  parameters: [
    param("agent_name", "string", "your agent"),
    param("reminders", "integer", 2),
    param("send_time", "time", "09:00"),
    param("tone", "choice", "warm", { choices: ["warm", "brief"] }),
    param("address", "string", null, { required: true }),
  ],
};

describe("installing a template", () => {
  it("starts the form from the defaults", () => {
    expect(initialValues(template)).toEqual({
      agent_name: "your agent",
      reminders: "2",
      send_time: "09:00",
      tone: "warm",
      address: "",
    });
  });

  it("sends only what was changed and filled in, numbers as numbers", () => {
    const values = { ...initialValues(template), reminders: "3", tone: "brief", agent_name: " " };
    expect(installParameters(template, values)).toEqual({ reminders: 3, tone: "brief" });
    expect(installParameters(template, { ...values, address: "12 Elm St" }).address).toBe("12 Elm St");
    expect(installParameters(template, { ...values, reminders: "three" }).reminders).toBe("three");
  });

  it("picks the input for each type", () => {
    expect(template.parameters.map(inputType)).toEqual(["text", "number", "time", "text", "text"]);
  });
});
