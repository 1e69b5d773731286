// Variable completion for message templates: after "{{" (or "{%"), the roots a step gives a
// template (definitions/templates.py ROOTS) and, after a dot, the names under them: the contact's
// fields, the agent's id, the trigger event's type and data, the workflow's other nodes under
// `steps` and what those nodes record there.
import type { Def } from "./graph";

/** The contact's fields (records.Contact and its derived fields, as templates see them). */
export const CONTACT_FIELDS = [
  "consent",
  "created_at",
  "email",
  "fields",
  "first_name",
  "id",
  "last_name",
  "owner",
  "phone",
  "score",
  "score_band",
  "stage",
  "state",
  "tags",
  "tenant_id",
  "time_zone",
  "updated_at",
];

/** Every root a template may name; the first four are the ones people reach for. */
export const ROOTS = ["contact", "agent", "steps", "event", "context", "workflow", "run", "now"];

const FIXED: Record<string, string[]> = {
  contact: CONTACT_FIELDS,
  agent: ["id"],
  event: ["type", "data"],
  workflow: ["key", "name", "version"],
  run: ["id", "created_at"],
};

/** What a node of a kind records under `steps.<its id>` for the nodes after it. */
const STEP_OUTPUTS: Record<string, string[]> = {
  notify_agent: ["task_id"],
  ai_compose: ["source", "reason"],
  market_report: ["count"],
  crm: ["crm_id"],
};

/** The fields of each message kind that hold a template, in the order the editor shows them. */
export const MESSAGE_FIELDS: Record<string, string[]> = {
  send_sms: ["body"],
  send_email: ["subject", "body", "html"],
  voice_call: ["say"],
  send_whatsapp: ["body"],
  send_messenger: ["body"],
  ai_compose: ["brief", "subject", "body"],
  notify_agent: ["title", "body"],
};

/** The fields whose text goes out as an SMS (the segment counter is shown for them). */
export function smsFields(def: Def): string[] {
  if (def.kind === "send_sms") return ["body"];
  if (def.kind === "ai_compose" && (def.channel ?? "sms") === "sms") return ["body"];
  return [];
}

export interface Completion {
  /** The replaced span of the text: the partial name before the cursor. */
  from: number;
  to: number;
  /** Full dotted names to put in its place, e.g. "contact.first_name". */
  options: string[];
}

/** The names that complete the expression being typed at `cursor`, or null when the cursor is
 * not inside an open "{{ ... " or "{% ... " tag. `nodes` are the workflow's nodes (for
 * `steps.<id>`); `self` is the node being edited (a node's own step is not yet recorded). */
export function completeAt(text: string, cursor: number, nodes: Def[], self?: string): Completion | null {
  const before = text.slice(0, cursor);
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  if (open < 0) return null;
  const close = Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}"));
  if (close > open) return null;
  const m = /[A-Za-z_][A-Za-z0-9_.]*$|$/.exec(before.slice(open + 2));
  return completePath(m ? m[0] : "", cursor, nodes, self, ROOTS);
}

/** The roots a condition's `field` path may start with (definitions/conditions_model.py). */
export const FIELD_ROOTS = ["contact", "event", "context", "steps"];

/** Completion of a condition's field path (the whole text up to the cursor is the path). */
export function completeField(
  text: string,
  cursor: number,
  nodes: Def[],
  self?: string,
  contactFields: string[] = CONTACT_FIELDS,
): Completion | null {
  const path = text.slice(0, cursor);
  if (!/^([A-Za-z_][A-Za-z0-9_.]*)?$/.test(path)) return null;
  return completePath(path, cursor, nodes, self, FIELD_ROOTS, contactFields);
}

function completePath(
  path: string,
  cursor: number,
  nodes: Def[],
  self: string | undefined,
  roots: string[],
  contactFields: string[] = CONTACT_FIELDS,
): Completion | null {
  const from = cursor - path.length;
  const parts = path.split(".");
  const last = parts.pop() ?? "";
  let names: string[];
  if (parts.length === 0) names = roots;
  else if (parts.length === 1 && parts[0] === "steps") names = nodes.map((n) => n.id).filter((id) => id !== self);
  else if (parts.length === 1 && parts[0] === "contact") names = roots.includes("contact") ? contactFields : [];
  else if (parts.length === 1) names = roots.includes(parts[0]) ? (FIXED[parts[0]] ?? []) : [];
  else if (parts.length === 2 && parts[0] === "steps") {
    const node = nodes.find((n) => n.id === parts[1]);
    names = node ? (STEP_OUTPUTS[node.kind] ?? []) : [];
  } else names = [];
  const prefix = parts.length ? `${parts.join(".")}.` : "";
  const options = names.filter((n) => n.startsWith(last) && n !== last).map((n) => prefix + n);
  if (options.length === 0) return null;
  return { from, to: cursor, options };
}

/** `text` with the completion's span replaced by `option`; the new cursor after it. */
export function applyCompletion(text: string, c: Completion, option: string): { text: string; cursor: number } {
  return { text: text.slice(0, c.from) + option + text.slice(c.to), cursor: c.from + option.length };
}
