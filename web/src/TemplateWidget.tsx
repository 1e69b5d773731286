// The inspector's text box for a message template, with variable completion: typing inside
// "{{ ... }}" (or anywhere in a condition's field path, with `ui:options.path`) lists the names
// that fit (arrow keys to move, Enter or Tab to take one, Escape to
// close, or a click); the list comes from variables.ts.
import type { WidgetProps } from "@rjsf/utils";
import { useLayoutEffect, useRef, useState } from "react";
import type { Def } from "./graph";
import { applyCompletion, type Completion, completeAt, completeField } from "./variables";

export interface TemplateContext {
  nodes: Def[];
  self: string;
  /** contact.<field> names from the server's contact schema (GET /schema/contact). */
  contactFields?: string[];
  /** what a condition's field path starts with, and its operators (the same schema). */
  roots?: string[];
  ops?: string[];
}

type Complete = (text: string, cursor: number) => Completion | null;

/** A text box (or area, rows > 1) offering completions at the cursor. */
export function CompletingInput({
  id,
  value,
  onChange,
  complete,
  readOnly,
  disabled,
  rows = 1,
  label,
}: {
  id: string;
  value: string;
  onChange: (text: string) => void;
  complete: Complete;
  readOnly?: boolean;
  disabled?: boolean;
  rows?: number;
  label?: string;
}) {
  const [cursor, setCursor] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const [closed, setClosed] = useState(false);
  const ref = useRef<HTMLTextAreaElement & HTMLInputElement>(null);
  const pending = useRef<number | null>(null);
  const completion = cursor === null || closed || readOnly || disabled ? null : complete(value, cursor);
  const listId = `${id}__variables`;

  useLayoutEffect(() => {
    if (pending.current !== null && ref.current) {
      ref.current.setSelectionRange(pending.current, pending.current);
      pending.current = null;
    }
  });

  const track = (el: HTMLTextAreaElement | HTMLInputElement) => {
    setCursor(el.selectionStart === el.selectionEnd ? el.selectionStart : null);
  };
  const take = (option: string) => {
    if (!completion) return;
    const done = applyCompletion(value, completion, option);
    pending.current = done.cursor;
    setCursor(done.cursor);
    setActive(0);
    onChange(done.text);
  };
  const common = {
    id,
    ref,
    value,
    readOnly,
    disabled,
    autoComplete: "off",
    spellCheck: true,
    role: "combobox",
    "aria-label": label,
    "aria-autocomplete": "list" as const,
    "aria-expanded": completion !== null,
    "aria-controls": listId,
    "aria-activedescendant": completion ? `${listId}_${active}` : undefined,
    onChange: (e: { target: HTMLTextAreaElement | HTMLInputElement }) => {
      setClosed(false);
      setActive(0);
      onChange(e.target.value);
      track(e.target);
    },
    onSelect: (e: { currentTarget: HTMLTextAreaElement | HTMLInputElement }) => track(e.currentTarget),
    onBlur: () => setCursor(null),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (!completion) return;
      const n = completion.options.length;
      if (e.key === "ArrowDown") setActive((active + 1) % n);
      else if (e.key === "ArrowUp") setActive((active + n - 1) % n);
      else if (e.key === "Enter" || e.key === "Tab") take(completion.options[Math.min(active, n - 1)]);
      else if (e.key === "Escape") setClosed(true);
      else return;
      e.preventDefault();
    },
  };
  return (
    <div className="template-widget">
      {rows > 1 ? <textarea rows={rows} {...common} /> : <input type="text" {...common} />}
      {completion && (
        <ul className="completions" id={listId} role="listbox" aria-label="Variables" data-testid="completions">
          {completion.options.map((option, n) => (
            <li
              key={option}
              id={`${listId}_${n}`}
              role="option"
              aria-selected={n === active}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus (and the cursor) in the text box
                take(option);
              }}
            >
              {option}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function TemplateWidget(props: WidgetProps) {
  const { id, value, onChange, readonly, disabled, options, registry } = props;
  const ctx = (registry.formContext ?? { nodes: [], self: "" }) as TemplateContext;
  const text = typeof value === "string" ? value : "";
  const complete: Complete = options.path
    ? (t, c) => completeField(t, c, ctx.nodes, ctx.self, ctx.contactFields)
    : (t, c) => completeAt(t, c, ctx.nodes, ctx.self);
  return (
    <CompletingInput
      id={id}
      value={text}
      readOnly={readonly}
      disabled={disabled}
      rows={typeof options.rows === "number" ? options.rows : 1}
      complete={complete}
      onChange={(t) => onChange(t === "" ? options.emptyValue : t)}
    />
  );
}
