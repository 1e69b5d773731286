// The selected node's form, generated from the server's JSON Schema of its kind (@rjsf).
// Edges are drawn on the canvas, so the fields that hold them are not shown here.
import Form from "@rjsf/core";
import type { RJSFSchema, UiSchema } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import { useEffect, useMemo, useState } from "react";
import { api } from "./api";
import type { Def } from "./graph";
import { smsSegments } from "./sms";
import { ConditionField } from "./ConditionField";
import { EventsField, EventWidget } from "./EventWidget";
import { type TemplateContext, TemplateWidget } from "./TemplateWidget";
import { ValueField } from "./ValueField";
import { MESSAGE_FIELDS, smsFields } from "./variables";

const validator = customizeValidator({ ajvOptionsOverrides: { strict: false, validateFormats: false } });
const EDGE_FIELDS = ["id", "kind", "next", "on_error", "on_event", "on_timeout", "default"];
const hidden = { "ui:widget": "hidden" };
const widgets = { template: TemplateWidget, event: EventWidget };
const fields = { value: ValueField, condition: ConditionField, events: EventsField };
const MULTILINE = new Set(["body", "html", "say", "brief"]);

/** The form's layout for a node kind: edge fields hidden, template fields with completion. */
export function uiFor(kind: string): UiSchema {
  const u: UiSchema = { "ui:submitButtonOptions": { norender: true } };
  for (const f of EDGE_FIELDS) u[f] = hidden;
  // a branch case's condition: a tree (all / any / not) of comparisons, each field path
  // picked from the contact's fields, steps, ...
  u.cases = { items: { next: hidden, when: { "ui:field": "condition" } } };
  // an awaited event: picked from the vocabulary, or typed
  u.event = { "ui:widget": "event" };
  // a split's experiment: its metric's and guardrails' events picked the same way
  const metric = { event: { "ui:field": "events" } };
  u.experiment = { metric, guardrails: { items: metric } };
  u.arms = { items: { next: hidden } };
  for (const f of ["body", "html", "say"]) u[f] = { "ui:widget": "textarea", "ui:options": { rows: 4 } };
  for (const f of MESSAGE_FIELDS[kind] ?? []) {
    u[f] = { "ui:widget": "template", "ui:options": { rows: MULTILINE.has(f) ? 4 : 1 } };
  }
  return u;
}

/** The segment counter's sentence for an SMS text. */
export function segmentsText(body: string): string {
  const s = smsSegments(body);
  const unit = s.encoding === "GSM-7" ? "characters" : "UTF-16 units";
  return `${s.units} ${unit} (${s.encoding}): ${s.segments} segment${s.segments === 1 ? "" : "s"} before the template is filled in`;
}

/** ``anyOf: [X, {type: null}]`` (pydantic's optional field) as plain X, recursively: one input
 * rather than a choice of "Option 1 / Option 2". */
export function simplify(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(simplify);
  if (!schema || typeof schema !== "object") return schema;
  const s = { ...(schema as Record<string, unknown>) };
  if (Array.isArray(s.anyOf)) {
    const kept = (s.anyOf as Record<string, unknown>[]).filter((o) => o.type !== "null");
    if (kept.length === 1 && kept.length < (s.anyOf as unknown[]).length) {
      delete s.anyOf;
      if (s.default === null) delete s.default;
      return simplify({ ...kept[0], ...s });
    }
  }
  for (const [k, v] of Object.entries(s)) s[k] = simplify(v);
  return s;
}

/** The template rendered by the server for its sample lead, as the worker would. */
function TemplatePreview({ label, template }: { label: string; template: string }) {
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    if (!template) {
      setText("");
      setError("");
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api<{ text: string }>("POST", "/workflows/preview", { template })
        .then((r) => live && (setText(r.text), setError("")))
        .catch((e: Error) => live && setError(e.message));
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [template]);
  if (!template) return null;
  return (
    <div className="preview" data-testid={`preview-${label}`}>
      <strong>{label}, for the sample lead (Alex Rivera, Austin):</strong>
      {error ? <p className="error">{error}</p> : <p className="preview-text">{text}</p>}
    </div>
  );
}

export interface Schema {
  $defs: Record<string, unknown>;
  properties: { nodes: { items: { discriminator: { mapping: Record<string, string> } } } };
}

export function nodeKinds(schema: Schema): string[] {
  return Object.keys(schema.properties.nodes.items.discriminator.mapping);
}

/** The schema's definitions for the form: a branch case's condition is edited by the tree
 * editor (ConditionField), so the form sees it as one value, not as four schemas to choose from. */
export function formDefs(schema: Schema): Record<string, Record<string, unknown>> {
  const defs = simplify(schema.$defs) as Record<string, Record<string, unknown>>;
  const when = (defs.BranchCase?.properties as Record<string, Record<string, unknown>> | undefined)?.when;
  if (when) {
    const { anyOf: _choices, ...rest } = when;
    (defs.BranchCase.properties as Record<string, unknown>).when = { ...rest, type: "object" };
  }
  // an experiment metric's event(s): one text field (EventsField), not a choice of schemas
  const metric = defs.ExperimentMetric?.properties as Record<string, Record<string, unknown>> | undefined;
  if (metric?.event) {
    const { anyOf: _kinds, default: _none, ...rest } = metric.event;
    metric.event = rest;
  }
  return defs;
}

function schemaFor(schema: Schema, kind: string): RJSFSchema {
  const ref = schema.properties.nodes.items.discriminator.mapping[kind];
  const name = ref.split("/").pop()!;
  const defs = formDefs(schema);
  return { ...defs[name], $defs: defs } as RJSFSchema;
}

/** What the server's schema says about conditions (GET /schema/contact). */
export interface ConditionNames {
  contactFields?: string[];
  roots?: string[];
  ops?: string[];
}

export function Inspector({
  schema,
  def,
  names = {},
  nodes = [],
  errors,
  onChange,
  onStart,
  isStart,
  readOnly,
}: {
  schema: Schema;
  def: Def;
  names?: ConditionNames;
  nodes?: Def[];
  errors: string[];
  onChange: (def: Def) => void;
  onStart: () => void;
  isStart: boolean;
  readOnly: boolean;
}) {
  const formSchema = useMemo(() => schemaFor(schema, def.kind), [schema, def.kind]);
  const ui = useMemo(() => uiFor(def.kind), [def.kind]);
  const context: TemplateContext = useMemo(() => ({ ...names, nodes, self: def.id }), [names, nodes, def.id]);
  return (
    <aside className="inspector" aria-label="Inspector">
      <h2>
        {def.kind} <code>{def.id}</code>
      </h2>
      {!isStart && !readOnly && (
        <button type="button" onClick={onStart}>
          Make this the start
        </button>
      )}
      {errors.length > 0 && (
        <ul className="node-problems">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      {smsFields(def).map((field) =>
        typeof def[field] === "string" ? (
          <p key={field} className="hint" data-testid={field === "body" ? "sms-segments" : `sms-segments-${field}`}>
            {segmentsText(def[field] as string)}
          </p>
        ) : null,
      )}
      {(MESSAGE_FIELDS[def.kind] ?? []).map((field) =>
        typeof def[field] === "string" && field !== "html" ? (
          <TemplatePreview key={field} label={field} template={def[field] as string} />
        ) : null,
      )}
      <Form
        key={def.id}
        schema={formSchema}
        uiSchema={ui}
        formData={def}
        validator={validator}
        widgets={widgets}
        fields={fields}
        formContext={context}
        noHtml5Validate
        showErrorList={false}
        readonly={readOnly}
        onChange={(e) => onChange(e.formData as Def)}
        idPrefix={`f_${def.id}`}
      />
    </aside>
  );
}
