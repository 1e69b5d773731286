// The workflow's goals (settings.goals), edited when no node is selected: a name, the event
// that meets it (picked from the vocabulary, or typed) and, when the YAML gave one, its
// condition shown as it is kept. The form is generated from the server's GoalSpec schema.
import Form from "@rjsf/core";
import type { FieldProps, RJSFSchema, UiSchema } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import { useMemo } from "react";
import { EventWidget } from "./EventWidget";
import { type Goal, type Settings, goalsOf, withGoals } from "./goals";
import { type Schema, formDefs } from "./Inspector";

const validator = customizeValidator({ ajvOptionsOverrides: { strict: false, validateFormats: false } });

/** A goal's condition, kept as it came (the YAML edits it): shown, never changed here. */
function KeptCondition({ formData }: FieldProps) {
  if (formData === undefined || formData === null) return null;
  return (
    <p className="hint" data-testid="goal-condition">
      Also met when <code>{JSON.stringify(formData)}</code> (edit it in the YAML).
    </p>
  );
}

const UI: UiSchema = {
  "ui:submitButtonOptions": { norender: true },
  goals: {
    items: { "ui:title": "Goal", event: { "ui:widget": "event" }, when: { "ui:field": "kept" } },
  },
};

export function goalsSchema(schema: Schema): RJSFSchema {
  const defs = formDefs(schema);
  const spec = defs.GoalSpec as { properties?: Record<string, unknown> } | undefined;
  if (spec?.properties) spec.properties = { ...spec.properties, when: {} };
  return {
    type: "object",
    properties: { goals: { type: "array", title: "Goals", items: { $ref: "#/$defs/GoalSpec" } } },
    $defs: defs,
  } as RJSFSchema;
}

export function GoalsPanel({
  schema,
  settings,
  onChange,
  readOnly,
}: {
  schema: Schema;
  settings: Settings | undefined;
  onChange: (settings: Settings | undefined) => void;
  readOnly: boolean;
}) {
  const formSchema = useMemo(() => goalsSchema(schema), [schema]);
  return (
    <section className="goals" aria-label="Workflow goals" data-testid="goals">
      <h2>Workflow goals</h2>
      <p className="hint">A run exits wherever it is once a goal is met.</p>
      <Form
        schema={formSchema}
        uiSchema={UI}
        formData={{ goals: goalsOf(settings) }}
        validator={validator}
        widgets={{ event: EventWidget }}
        fields={{ kept: KeptCondition }}
        noHtml5Validate
        showErrorList={false}
        readonly={readOnly}
        onChange={(e) => onChange(withGoals(settings, ((e.formData as { goals?: Goal[] }).goals ?? []) as Goal[]))}
        idPrefix="f_settings"
      />
    </section>
  );
}
