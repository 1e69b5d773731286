// An experiment metric's event: one event type, or several (any of them converts). Typed as
// one text, several separated by commas.

/** The text shown for the value (a list joined by commas). */
export function eventsText(value: unknown): string {
  if (Array.isArray(value)) return value.filter((v) => typeof v === "string").join(", ");
  return typeof value === "string" ? value : "";
}

/** The value for a text: nothing, one event type, or a list of them. */
export function eventsValue(text: string): string | string[] | undefined {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) return undefined;
  return parts.length === 1 && !text.includes(",") ? parts[0] : parts;
}
