// The templates screen's logic, apart from the screen: a template's parameters as form values
// and back (only the values changed from their defaults are sent; numbers as numbers).
export interface Parameter {
  name: string;
  type: "choice" | "duration" | "integer" | "number" | "string" | "time" | string;
  default: unknown;
  required: boolean;
  description: string;
  min: number | null;
  max: number | null;
  choices: string[] | null;
  allowed: string | null;
}

export interface Template {
  name: string;
  title: string;
  summary: string;
  audience: string;
  key: string | null;
  parameters: Parameter[];
  days: string[];
}

/** The form's starting text per parameter: its default, or empty. */
export function initialValues(t: Template): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of t.parameters) out[p.name] = p.default === null || p.default === undefined ? "" : String(p.default);
  return out;
}

/** The `parameters` of the install: what differs from the defaults, typed as the API takes
 * them. A blank field is left out: its default applies, or the server names it as missing. */
export function installParameters(t: Template, values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of t.parameters) {
    const text = (values[p.name] ?? "").trim();
    if (text === "") continue;
    if (text === String(p.default ?? "")) continue;
    out[p.name] = (p.type === "integer" || p.type === "number") && text !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
  }
  return out;
}

/** The HTML input type of a parameter (choices get a select). */
export function inputType(p: Parameter): string {
  if (p.type === "integer" || p.type === "number") return "number";
  if (p.type === "time") return "time";
  return "text";
}
