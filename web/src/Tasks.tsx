// The agent's task inbox (`#/tasks`): the tasks the workflows' notify_agent nodes made, mine
// (an agent's or manager's key) or my team's; complete one, or snooze it. Paged on the server.
import { useCallback, useEffect, useState } from "react";
import { api } from "./api";
import { when } from "./Dashboard";
import { SNOOZES, TASK_PAGE, type Task, nextAfter, replaced, taskQuery, urgency } from "./tasks";

export function Tasks({ hasMember }: { hasMember: boolean }) {
  const [which, setWhich] = useState(hasMember ? "mine" : "team");
  const [status, setStatus] = useState("open");
  const [cursors, setCursors] = useState<number[]>([]);
  const [items, setItems] = useState<Task[] | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<number | null>(null);
  const after = cursors[cursors.length - 1] ?? 0;

  const load = useCallback(async () => {
    setError("");
    try {
      setItems(await api<{ items: Task[] }>("GET", taskQuery(which, status, after)).then((r) => r.items));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [which, status, after]);
  useEffect(() => {
    setItems(null);
    void load();
  }, [load]);

  const act = async (task: Task, path: string, body: unknown, done: string) => {
    setBusy(task.id);
    setError("");
    try {
      const changed = await api<Task>("POST", `/tasks/${task.id}/${path}`, body);
      setItems((old) => (old ? replaced(old, changed) : old));
      setNotice(done);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const next = items ? nextAfter(items) : null;
  const now = Date.now();
  return (
    <section className="list" aria-label="Tasks" data-testid="tasks">
      <h2>Tasks</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Whose{" "}
          <select value={which} onChange={(e) => (setCursors([]), setWhich(e.target.value))}>
            {hasMember && <option value="mine">mine</option>}
            <option value="team">my team's</option>
          </select>
        </label>
        <label>
          Status{" "}
          <select value={status} onChange={(e) => (setCursors([]), setStatus(e.target.value))}>
            <option value="open">open</option>
            <option value="done">done</option>
            <option value="all">all</option>
          </select>
        </label>
      </form>
      {notice && (
        <p role="status" data-testid="task-notice">
          {notice}
        </p>
      )}
      {error && <p role="alert">Could not load or change the tasks: {error}</p>}
      {!items && !error && <p className="loading">Loading…</p>}
      {items && items.length === 0 && <p className="hint">No {status === "all" ? "" : status} tasks.</p>}
      {items && items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                {["Task", "Lead", "Priority", "Due", "Assignee", "Actions"].map((h) => (
                  <th key={h} scope="col">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id} data-testid={`task-${t.id}`} className={urgency(t, now)}>
                  <td data-label="Task">
                    <strong>{t.title}</strong>
                    {t.label && <span className="tag"> {t.label}</span>}
                    {t.body && <p className="task-body">{t.body}</p>}
                  </td>
                  <td data-label="Lead">
                    <a href={`#/contacts/${encodeURIComponent(t.contact_id)}`}>{t.contact_id}</a>
                  </td>
                  <td data-label="Priority">{t.priority}</td>
                  <td data-label="Due">
                    {t.status === "done" ? `done ${when(t.completed_at)}` : when(t.due_at)}
                    {urgency(t, now) === "overdue" && <strong className="overdue"> overdue</strong>}
                  </td>
                  <td data-label="Assignee">{t.assignee}</td>
                  <td data-label="Actions">
                    {t.status === "open" && (
                      <div className="actions">
                        <button
                          type="button"
                          disabled={busy === t.id}
                          onClick={() => act(t, "complete", undefined, `Done: ${t.title}`)}
                        >
                          Complete
                        </button>
                        <select
                            aria-label={`Snooze ${t.title}`}
                            value=""
                            disabled={busy === t.id}
                            onChange={(e) => {
                              const minutes = Number(e.target.value);
                              const label = SNOOZES.find(([, m]) => m === minutes)?.[0] ?? "";
                              if (minutes) void act(t, "snooze", { minutes }, `Snoozed for ${label}: ${t.title}`);
                            }}
                          >
                            <option value="">Snooze…</option>
                            {SNOOZES.map(([label, minutes]) => (
                              <option key={minutes} value={minutes}>
                                {label}
                              </option>
                            ))}
                        </select>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <span>Page {cursors.length + 1}</span>
        <button type="button" disabled={next === null} onClick={() => next !== null && setCursors([...cursors, next])}>
          Next
        </button>
      </div>
      <p className="hint">{TASK_PAGE} a page.</p>
    </section>
  );
}
