// A condition's `value` (any JSON: text, a number, true/false, a list for `in`, a pair for
// `between`) as one text box: what reads as JSON is taken as JSON (5, true, ["FL", "OK"]),
// anything else as text. The schema gives the value no type, so @rjsf has no input of its own.
import type { FieldProps } from "@rjsf/utils";
import { useEffect, useState } from "react";

/** The value a person typed: JSON when it parses, else the text itself; blank is no value. */
export function parseValue(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return text;
  }
}

/** How a value is shown for editing (the inverse of parseValue). */
export function showValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") {
    // a text that would read as JSON keeps its quotes, so it stays a text
    return parseValue(value) === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** One text box for a JSON-ish value, with its label and hint. */
export function ValueInput({
  id,
  value,
  onChange,
  label = "Value",
  readOnly,
  disabled,
}: {
  id: string;
  value: unknown;
  onChange: (value: unknown) => void;
  label?: string;
  readOnly?: boolean;
  disabled?: boolean;
}) {
  const [text, setText] = useState(() => showValue(value));
  useEffect(() => {
    if (parseValue(text) !== value && JSON.stringify(parseValue(text)) !== JSON.stringify(value)) {
      setText(showValue(value));
    }
  }, [value]);
  return (
    <div className="form-group">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={text}
        readOnly={readOnly}
        disabled={disabled}
        aria-describedby={`${id}__hint`}
        onChange={(e) => {
          setText(e.target.value);
          onChange(parseValue(e.target.value));
        }}
      />
      <p className="field-description" id={`${id}__hint`}>
        Text, a number, true / false, or a JSON list such as ["FL", "OK"] for in.
      </p>
    </div>
  );
}

export function ValueField(props: FieldProps) {
  const { formData, onChange, fieldPathId, readonly, disabled, schema } = props;
  return (
    <ValueInput
      id={fieldPathId.$id}
      value={formData}
      label={String(schema.title ?? "Value")}
      readOnly={readonly}
      disabled={disabled}
      onChange={(v) => onChange(v, fieldPathId.path)}
    />
  );
}
