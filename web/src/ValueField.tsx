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

export function ValueField(props: FieldProps) {
  const { formData, onChange, fieldPathId, readonly, disabled, schema } = props;
  const [text, setText] = useState(() => showValue(formData));
  useEffect(() => {
    if (parseValue(text) !== formData && JSON.stringify(parseValue(text)) !== JSON.stringify(formData)) {
      setText(showValue(formData));
    }
  }, [formData]);
  const id = fieldPathId.$id;
  return (
    <div className="form-group">
      <label htmlFor={id}>{String(schema.title ?? "Value")}</label>
      <input
        id={id}
        value={text}
        readOnly={readonly}
        disabled={disabled}
        onChange={(e) => {
          setText(e.target.value);
          onChange(parseValue(e.target.value), fieldPathId.path);
        }}
      />
      <p className="field-description">Text, a number, true / false, or a JSON list such as ["FL", "OK"] for in.</p>
    </div>
  );
}
