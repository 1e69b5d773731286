// A contact's tasks on its page (GET /tasks?contact_id=..., the ones the viewer may see:
// an agent its own, an admin the team's), paged by task id, times in both zones.
import { useEffect, useState } from "react";
import { api } from "./api";
import { when } from "./Dashboard";
import { type Task, nextAfter, taskQuery } from "./tasks";

export function ContactTasks({ id, zone }: { id: string; zone: string | null }) {
  const [afters, setAfters] = useState<number[]>([]);
  const [items, setItems] = useState<Task[] | null>(null);
  const [error, setError] = useState("");
  const after = afters[afters.length - 1] ?? 0;
  useEffect(() => {
    setItems(null);
    setError("");
    api<{ items: Task[] }>("GET", taskQuery("", "all", after, undefined, id))
      .then((r) => setItems(r.items))
      .catch((e: Error) => setError(e.message));
  }, [id, after]);
  const next = items ? nextAfter(items) : null;
  return (
    <section className="list" aria-label="Tasks" data-testid="timeline-tasks">
      <h2>Tasks</h2>
      {error && <p role="alert">Could not load tasks: {error}</p>}
      {!items && !error && <p className="loading">Loading…</p>}
      {items && items.length === 0 && <p className="hint">Nothing here.</p>}
      {items && items.length > 0 && (
        <ul>
          {items.map((t) => (
            <li key={t.id}>
              <strong>{t.title}</strong> ({t.status}
              {t.overdue && t.status === "open" ? ", overdue" : ""}) for {t.assignee}, due {when(t.due_at, zone)}
            </li>
          ))}
        </ul>
      )}
      <nav className="pager" aria-label="Tasks pages">
        <button disabled={!afters.length} onClick={() => setAfters(afters.slice(0, -1))}>
          Previous
        </button>
        <button disabled={next === null} onClick={() => next !== null && setAfters([...afters, next])}>
          Next
        </button>
      </nav>
    </section>
  );
}
