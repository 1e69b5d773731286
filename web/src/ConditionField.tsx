// A branch case's condition as a tree editor: a comparison (a field picked from the contact
// schema, the steps and the event; an operator; a value) or a group, all of / any of / not,
// nested as deep as wanted. Every change goes through conditions.ts (pure, tested) and comes
// back to the form as the new condition.
import type { FieldProps } from "@rjsf/utils";
import {
  type Cond,
  type CondKind,
  DEFAULT_OPS,
  KIND_LABELS,
  type Path,
  addAt,
  childrenOf,
  comparisonProblem,
  convert,
  kindOf,
  newComparison,
  removeAt,
  setAt,
} from "./conditions";
import { CompletingInput, type TemplateContext } from "./TemplateWidget";
import { ValueInput } from "./ValueField";
import { FIELD_ROOTS, completeField } from "./variables";

interface NodeProps {
  cond: Cond;
  path: Path;
  id: string;
  root: Cond;
  change: (next: Cond) => void;
  ctx: TemplateContext;
  readOnly: boolean;
}

function where(path: Path): string {
  return path.length ? `condition ${path.map((i) => i + 1).join(".")}` : "the condition";
}

function CondNode({ cond, path, id, root, change, ctx, readOnly }: NodeProps) {
  const kind = kindOf(cond);
  const roots = ctx.roots ?? FIELD_ROOTS;
  const ops = ctx.ops ?? DEFAULT_OPS;
  const put = (next: Cond) => change(setAt(root, path, next));
  const problem = kind === "compare" ? comparisonProblem(cond, roots) : "";
  return (
    <div className={`cond cond-${kind}`} data-testid={`cond-${id}`}>
      <div className="form-group">
        <label htmlFor={`${id}_kind`}>{path.length ? `Condition ${path.map((i) => i + 1).join(".")}` : "Condition"}</label>
        <select
          id={`${id}_kind`}
          value={kind}
          disabled={readOnly}
          onChange={(e) => put(convert(cond, e.target.value as CondKind))}
        >
          {(Object.keys(KIND_LABELS) as CondKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </div>
      {kind === "compare" ? (
        <div className="cond-compare-fields">
          <div className="form-group">
            <label htmlFor={`${id}_field`}>Field</label>
            <CompletingInput
              id={`${id}_field`}
              value={typeof cond.field === "string" ? cond.field : ""}
              readOnly={readOnly}
              complete={(t, c) => completeField(t, c, ctx.nodes, ctx.self, ctx.contactFields)}
              onChange={(field) => put({ ...cond, field })}
            />
            {problem && (
              <p className="error" role="status">
                {problem}
              </p>
            )}
          </div>
          <div className="form-group">
            <label htmlFor={`${id}_op`}>Operator</label>
            <select
              id={`${id}_op`}
              value={typeof cond.op === "string" ? cond.op : "eq"}
              disabled={readOnly}
              onChange={(e) => put({ ...cond, op: e.target.value })}
            >
              {ops.map((op) => (
                <option key={op} value={op}>
                  {op}
                </option>
              ))}
            </select>
          </div>
          <ValueInput
            id={`${id}_value`}
            value={cond.value}
            readOnly={readOnly}
            onChange={(value) => {
              const next = { ...cond, value };
              if (value === undefined) delete next.value;
              put(next);
            }}
          />
        </div>
      ) : (
        <div className="cond-members" role="group" aria-label={`Members of ${where(path)}`}>
          {childrenOf(cond).map((child, n) => (
            <div key={n} className="cond-member">
              <CondNode
                cond={child}
                path={[...path, n]}
                id={`${id}_${kind}_${n}`}
                root={root}
                change={change}
                ctx={ctx}
                readOnly={readOnly}
              />
              {kind !== "not" && childrenOf(cond).length > 1 && !readOnly && (
                <button type="button" className="link" onClick={() => change(removeAt(root, [...path, n]))}>
                  Remove {where([...path, n])}
                </button>
              )}
            </div>
          ))}
          {kind !== "not" && !readOnly && (
            <div className="cond-add">
              <button type="button" onClick={() => change(addAt(root, path, newComparison()))}>
                Add a comparison to {where(path)}
              </button>{" "}
              <button type="button" onClick={() => change(addAt(root, path, { any: [newComparison()] }))}>
                Add a group to {where(path)}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

export function ConditionField(props: FieldProps) {
  const { formData, onChange, fieldPathId, readonly, disabled, registry } = props;
  const ctx = (registry.formContext ?? { nodes: [], self: "" }) as TemplateContext;
  const root = formData && typeof formData === "object" && !Array.isArray(formData) ? (formData as Cond) : newComparison();
  return (
    <fieldset className="condition">
      <legend>When</legend>
      <CondNode
        cond={root}
        path={[]}
        id={fieldPathId.$id}
        root={root}
        change={(next) => onChange(next, fieldPathId.path)}
        ctx={ctx}
        readOnly={Boolean(readonly || disabled)}
      />
    </fieldset>
  );
}
