// A workflow's goals (settings.goals): read from and written back into the settings, which
// keep every other field as they were. No goal at all leaves no `goals` key (the YAML stays
// as it was written).
export type Goal = Record<string, unknown>;
export type Settings = Record<string, unknown>;

/** The goals of a workflow's settings (none when absent or not a list). */
export function goalsOf(settings: Settings | undefined): Goal[] {
  const found = settings?.goals;
  return Array.isArray(found) ? (found.filter((g) => g && typeof g === "object") as Goal[]) : [];
}

/** Settings with these goals; the other fields untouched; undefined when nothing is left. */
export function withGoals(settings: Settings | undefined, goals: Goal[]): Settings | undefined {
  const kept = goals.map(clean);
  const out: Settings = {};
  for (const [k, v] of Object.entries(settings ?? {})) {
    if (k !== "goals") out[k] = v;
    else if (kept.length) out.goals = kept; // where it was: the exported YAML keeps its order
  }
  if (kept.length && !("goals" in out)) out.goals = kept;
  return Object.keys(out).length ? out : undefined;
}

/** A goal as the definition holds it: empty optional fields left out (rjsf gives them as
 * undefined or null while a person types). */
function clean(goal: Goal): Goal {
  const out: Goal = {};
  for (const [k, v] of Object.entries(goal)) if (v !== undefined && v !== null && v !== "") out[k] = v;
  return out;
}
