// The templates screen (`#/templates`): the shipped playbooks (GET /api/v1/templates), each
// with its audience, its days and its parameters; admins and managers install one into the
// tenant as a draft or published (POST /templates/{name}/install).
import { useEffect, useState } from "react";
import { ApiError, api } from "./api";
import { type Template, initialValues, inputType, installParameters } from "./playbooks";

interface Installed {
  key: string;
  status: string;
  version: number | null;
  warnings: string[];
}

function problemText(e: unknown): string {
  if (e instanceof ApiError) {
    const errors = (e.body as { errors?: { field: string; problem: string }[] } | null)?.errors;
    if (errors?.length) return errors.map((x) => `${x.field}: ${x.problem}`).join("; ");
  }
  return (e as Error).message;
}

function Install({ template, canWrite }: { template: Template; canWrite: boolean }) {
  const [values, setValues] = useState(() => initialValues(template));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [done, setDone] = useState<Installed | null>(null);
  const install = async (publish: boolean) => {
    setBusy(true);
    setError("");
    setDone(null);
    try {
      setDone(
        await api<Installed>("POST", `/templates/${encodeURIComponent(template.name)}/install`, {
          parameters: installParameters(template, values),
          publish,
        }),
      );
    } catch (e) {
      setError(problemText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="template-install" onSubmit={(e) => e.preventDefault()} aria-label={`Install ${template.title}`}>
      {template.parameters.map((p) => {
        const id = `tp_${template.name}_${p.name}`;
        return (
          <div key={p.name} className="form-group">
            <label htmlFor={id}>
              {p.name}
              {p.required ? " (required)" : ""}
            </label>
            {p.choices ? (
              <select id={id} value={values[p.name]} disabled={!canWrite} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}>
                {p.choices.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                type={inputType(p)}
                value={values[p.name]}
                min={p.min ?? undefined}
                max={p.max ?? undefined}
                readOnly={!canWrite}
                onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}
              />
            )}
            <p className="field-description">
              {p.description}
              {p.allowed ? ` (${p.allowed})` : ""}
            </p>
          </div>
        );
      })}
      {canWrite ? (
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void install(false)}>
            Install as a draft
          </button>
          <button type="button" className="primary" disabled={busy} onClick={() => void install(true)}>
            Install and publish
          </button>
        </div>
      ) : (
        <p className="hint">Admins and managers install templates.</p>
      )}
      {error && (
        <p role="alert" className="error">
          Not installed: {error}
        </p>
      )}
      {done && (
        <div role="status" data-testid="installed">
          <p>
            Installed <code>{done.key}</code>{" "}
            {done.status === "published" ? `and published version ${done.version}` : "as a draft"}: open it in the
            designer.
          </p>
          {done.warnings.length > 0 && (
            <ul>
              {done.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}

export function Templates({ canWrite }: { canWrite: boolean }) {
  const [items, setItems] = useState<Template[] | null>(null);
  const [error, setError] = useState("");
  const [open, setOpen] = useState("");
  useEffect(() => {
    api<{ items: Template[] }>("GET", "/templates")
      .then((r) => setItems(r.items))
      .catch((e: Error) => setError(e.message));
  }, []);
  return (
    <section className="list templates" aria-label="Templates" data-testid="templates">
      <h2>Templates</h2>
      {error && <p role="alert">Could not load the templates: {error}</p>}
      {!items && !error && <p className="loading">Loading…</p>}
      {items?.map((t) => (
        <article key={t.name} className="template" data-testid={`template-${t.name}`}>
          <h3>{t.title}</h3>
          <p>{t.summary}</p>
          <p className="hint">
            For {t.audience}
            {t.key ? ` · installs as ${t.key}` : ""}
          </p>
          {t.days.length > 0 && (
            <ol className="days">
              {t.days.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ol>
          )}
          <button type="button" aria-expanded={open === t.name} onClick={() => setOpen(open === t.name ? "" : t.name)}>
            {open === t.name ? "Close" : canWrite ? "Install…" : "Parameters"}
          </button>
          {open === t.name && <Install template={t} canWrite={canWrite} />}
        </article>
      ))}
    </section>
  );
}
