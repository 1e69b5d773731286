import { describe, expect, it } from "vitest";
import type { Def } from "./graph";
import { newDef } from "./graph";
import { segmentsText, uiFor } from "./Inspector";
import { parseValue, showValue } from "./ValueField";
import { MESSAGE_FIELDS, applyCompletion, completeAt, completeField, smsFields } from "./variables";

const nodes: Def[] = [
  { id: "hello", kind: "send_sms", body: "" },
  { id: "tell_agent", kind: "notify_agent", title: "Call" },
  { id: "draft", kind: "ai_compose", channel: "sms", brief: "b", body: "t" },
];

describe("variable completion", () => {
  it("offers the roots right after {{", () => {
    const c = completeAt("Hi {{ ", 6, nodes);
    expect(c?.options.slice(0, 4)).toEqual(["contact", "agent", "steps", "event"]);
    expect(c?.from).toBe(6);
  });

  it("narrows a root by its prefix and completes a contact field", () => {
    expect(completeAt("Hi {{ co", 8, nodes)?.options).toEqual(["contact", "context"]);
    const text = "Hi {{ contact.fi }}!";
    const c = completeAt(text, 16, nodes);
    expect(c).toEqual({ from: 6, to: 16, options: ["contact.first_name", "contact.fields"].sort() });
    const done = applyCompletion(text, c!, "contact.first_name");
    expect(done.text).toBe("Hi {{ contact.first_name }}!");
    expect(done.cursor).toBe(24);
  });

  it("lists the other nodes under steps and what a node records there", () => {
    expect(completeAt("{{ steps.", 9, nodes, "hello")?.options).toEqual(["steps.tell_agent", "steps.draft"]);
    expect(completeAt("{{ steps.tell_agent.", 20, nodes)?.options).toEqual(["steps.tell_agent.task_id"]);
    expect(completeAt("{{ steps.draft.", 15, nodes)?.options).toEqual(["steps.draft.source", "steps.draft.reason"]);
    expect(completeAt("{{ agent.", 9, nodes)?.options).toEqual(["agent.id"]);
    expect(completeAt("{{ event.", 9, nodes)?.options).toEqual(["event.type", "event.data"]);
  });

  it("stays quiet outside a tag, after a closed tag, and on a complete or unknown name", () => {
    expect(completeAt("Hi contact.fi", 13, nodes)).toBeNull();
    expect(completeAt("{{ contact.first_name }} and co", 30, nodes)).toBeNull();
    expect(completeAt("{{ agent.id", 11, nodes)).toBeNull();
    expect(completeAt("{{ nobody.", 10, nodes)).toBeNull();
    expect(completeAt("{% if contact.sta", 17, nodes)?.options).toEqual(["contact.stage", "contact.state"]);
  });
});

describe("the message editor of each message kind", () => {
  it("gives every template field of the new kinds the completing text box", () => {
    for (const kind of ["send_whatsapp", "send_messenger", "ai_compose", "notify_agent", "send_sms"]) {
      const ui = uiFor(kind);
      for (const field of MESSAGE_FIELDS[kind]) expect(ui[field]["ui:widget"], `${kind}.${field}`).toBe("template");
      expect(ui.next).toEqual({ "ui:widget": "hidden" });
    }
    expect(uiFor("notify_agent").title["ui:options"].rows).toBe(1);
    expect(uiFor("ai_compose").brief["ui:options"].rows).toBe(4);
    expect(uiFor("wait").body).toEqual({ "ui:widget": "textarea", "ui:options": { rows: 4 } });
  });

  it("counts SMS segments for texts only: send_sms and an SMS ai_compose", () => {
    expect(smsFields(newDef("send_sms", "a"))).toEqual(["body"]);
    expect(smsFields(newDef("ai_compose", "a"))).toEqual(["body"]);
    expect(smsFields({ ...newDef("ai_compose", "a"), channel: "email" })).toEqual([]);
    for (const kind of ["send_whatsapp", "send_messenger", "notify_agent", "send_email"]) {
      expect(smsFields(newDef(kind, "a"))).toEqual([]);
    }
    expect(segmentsText("x".repeat(161))).toBe("161 characters (GSM-7): 2 segments before the template is filled in");
    expect(segmentsText("Hi 😀")).toBe("5 UTF-16 units (UCS-2): 1 segment before the template is filled in");
  });

  it("starts the new kinds with their template fields in place", () => {
    expect(newDef("send_whatsapp", "w")).toEqual({ id: "w", kind: "send_whatsapp", body: "" });
    expect(newDef("send_messenger", "m")).toEqual({ id: "m", kind: "send_messenger", body: "" });
    expect(newDef("ai_compose", "c")).toEqual({ id: "c", kind: "ai_compose", channel: "sms", brief: "", body: "" });
    expect(newDef("notify_agent", "n")).toEqual({ id: "n", kind: "notify_agent", title: "" });
  });
});

describe("a branch condition's field picker", () => {
  it("completes the whole text as a path from the condition roots", () => {
    expect(completeField("", 0, nodes)?.options).toEqual(["contact", "event", "context", "steps"]);
    expect(completeField("contact.sc", 10, nodes)).toEqual({ from: 0, to: 10, options: ["contact.score", "contact.score_band"] });
    expect(completeField("steps.tell_agent.", 17, nodes)?.options).toEqual(["steps.tell_agent.task_id"]);
    expect(completeField("agent.", 6, nodes)).toBeNull(); // not a condition root
    expect(completeField("contact.first_name eq", 21, nodes)).toBeNull();
  });
});

describe("a condition's value box", () => {
  it("reads JSON where it parses and text otherwise, and shows it back the same", () => {
    expect(parseValue("5")).toBe(5);
    expect(parseValue("true")).toBe(true);
    expect(parseValue('["FL", "OK"]')).toEqual(["FL", "OK"]);
    expect(parseValue("new")).toBe("new");
    expect(parseValue("  ")).toBeUndefined();
    for (const v of [5, true, ["FL", "OK"], "new", "5", "true"]) expect(parseValue(showValue(v))).toEqual(v);
    expect(showValue("5")).toBe('"5"');
    expect(showValue(null)).toBe("");
  });
});
