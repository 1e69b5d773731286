// The workflow's event trigger as the toolbar edits it: the first trigger of type "event"
// (other triggers, schedules and manual ones, are kept as they are).
type Trigger = Record<string, unknown>;

export function triggerEvent(triggers: unknown[]): string {
  const t = triggers.find((x) => (x as Trigger)?.type === "event") as Trigger | undefined;
  return typeof t?.event === "string" ? t.event : "";
}

/** The triggers with the first event trigger's event set (added when there is none; removed
 * when ``event`` is blank). */
export function withTriggerEvent(triggers: unknown[], event: string): unknown[] {
  const at = triggers.findIndex((x) => (x as Trigger)?.type === "event");
  if (!event) return at < 0 ? triggers : triggers.filter((_, n) => n !== at);
  if (at < 0) return [...triggers, { type: "event", event }];
  return triggers.map((t, n) => (n === at ? { ...(t as Trigger), event } : t));
}
