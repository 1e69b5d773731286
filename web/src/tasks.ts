// The task inbox's logic, apart from the screen: which page comes next (the API pages by task
// id: `after_id` = the last id of a page that came back full) and how a task reads.
export interface Task {
  id: number;
  contact_id: string;
  assignee: string;
  title: string;
  body: string | null;
  label: string | null;
  priority: string;
  status: "open" | "done";
  due_at: string;
  created_at: string;
  completed_at: string | null;
  completed_by: string | null;
  overdue: boolean;
  workflow_key: string | null;
  run_id: number | null;
}

export const TASK_PAGE = 25;

/** The `after_id` of the next page, or null when `items` was the last page. */
export function nextAfter(items: Task[], limit = TASK_PAGE): number | null {
  return items.length >= limit ? items[items.length - 1].id : null;
}

/** The list's query: whose tasks, which status, from where (and about one contact). */
export function taskQuery(which: string, status: string, after: number, limit = TASK_PAGE, contact = ""): string {
  const q = new URLSearchParams({ status, limit: String(limit) });
  if (which) q.set("which", which);
  if (contact) q.set("contact_id", contact);
  if (after) q.set("after_id", String(after));
  return `/tasks?${q}`;
}

/** Snooze choices: label and minutes (the API takes 1 minute to 90 days). */
export const SNOOZES: [string, number][] = [
  ["1 hour", 60],
  ["3 hours", 180],
  ["tomorrow", 60 * 24],
  ["1 week", 60 * 24 * 7],
];

/** The task with the answer of a complete or snooze in place of the old one. */
export function replaced(items: Task[], changed: Task): Task[] {
  return items.map((t) => (t.id === changed.id ? changed : t));
}

/** "overdue", "due" (within a day of `now`) or "" for the row's state. */
export function urgency(task: Task, now: number): string {
  if (task.status === "done") return "";
  if (task.overdue || Date.parse(task.due_at) < now) return "overdue";
  return Date.parse(task.due_at) - now < 24 * 3600_000 ? "due" : "";
}
