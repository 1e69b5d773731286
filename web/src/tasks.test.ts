import { describe, expect, it } from "vitest";
import { type Task, nextAfter, replaced, taskQuery, urgency } from "./tasks";

const task = (id: number, over: Partial<Task> = {}): Task => ({
  id,
  contact_id: `c${id}`,
  assignee: "ann",
  title: `Call ${id}`,
  body: null,
  label: null,
  priority: "normal",
  status: "open",
  due_at: "2026-03-02T10:00:00Z",
  created_at: "2026-03-01T10:00:00Z",
  completed_at: null,
  completed_by: null,
  overdue: false,
  workflow_key: null,
  run_id: null,
  ...over,
});

describe("the task inbox", () => {
  it("asks for the next page after the last id of a full page, and stops on a short one", () => {
    const full = [task(3), task(7), task(9)];
    expect(nextAfter(full, 3)).toBe(9);
    expect(nextAfter(full.slice(0, 2), 3)).toBeNull();
    expect(nextAfter([], 3)).toBeNull();
  });

  it("builds the list query the API takes", () => {
    expect(taskQuery("mine", "open", 0)).toBe("/tasks?status=open&limit=25&which=mine");
    expect(taskQuery("team", "all", 42, 10)).toBe("/tasks?status=all&limit=10&which=team&after_id=42");
    expect(taskQuery("", "all", 0, 25, "c 1")).toBe("/tasks?status=all&limit=25&contact_id=c+1");
  });

  it("puts the server's answer in place of the task it changed", () => {
    const items = [task(1), task(2)];
    const done = task(2, { status: "done", completed_by: "ann" });
    expect(replaced(items, done)).toEqual([task(1), done]);
  });

  it("marks overdue and due-soon open tasks, never done ones", () => {
    const now = Date.parse("2026-03-02T09:00:00Z");
    expect(urgency(task(1), now)).toBe("due");
    expect(urgency(task(1, { due_at: "2026-03-02T08:00:00Z" }), now)).toBe("overdue");
    expect(urgency(task(1, { overdue: true, due_at: "2026-03-09T08:00:00Z" }), now)).toBe("overdue");
    expect(urgency(task(1, { due_at: "2026-03-09T08:00:00Z" }), now)).toBe("");
    expect(urgency(task(1, { status: "done", due_at: "2026-03-01T08:00:00Z" }), now)).toBe("");
  });
});
