// A contact's lead score on its page: the 0-100 score and band as computed now
// (GET /contacts/{id}/score), with the factors it is made of, and its history: each change
// of band the scorer recorded (the contact's lead.score_changed events).
import { useEffect, useState } from "react";
import { api } from "./api";

interface Factor {
  factor: string;
  component: string;
  value: unknown;
  points: number;
}
interface Score {
  score: number;
  band: string;
  factors: Factor[];
}

export function scoreText(s: { score: number; band: string }): string {
  return `${Math.round(s.score)} (${s.band})`;
}

/** The contacts list's score cell: the score and band stored on the contact, when scored. */
export function storedScore(fields: unknown): string {
  const f = (fields ?? {}) as Record<string, unknown>;
  if (typeof f.score !== "number") return "";
  return typeof f.score_band === "string" ? scoreText({ score: f.score, band: f.score_band }) : String(Math.round(f.score));
}

/** One recorded band change as a line: `41 (warm) → 72 (hot)`. */
export function scoreChangeText(data: unknown): string {
  const d = (data ?? {}) as Record<string, unknown>;
  const side = (score: unknown, band: unknown): string => {
    const n = typeof score === "number" ? String(Math.round(score)) : "?";
    return typeof band === "string" && band ? `${n} (${band})` : n;
  };
  return `${side(d.old, d.old_band)} → ${side(d.new, d.new_band)}`;
}

interface ChangeEvent {
  id: number;
  occurred_at: string;
  data: unknown;
}

type At = (value: unknown) => string;
const isoText: At = (value) => String(value ?? "");

function ScoreHistory({ id, at }: { id: string; at: At }) {
  const [changes, setChanges] = useState<ChangeEvent[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    setChanges(null);
    setError("");
    const query = `contact_id=${encodeURIComponent(id)}&type=lead.score_changed&limit=50`;
    api<{ items: ChangeEvent[] }>("GET", `/events?${query}`)
      .then((page) => setChanges(page.items))
      .catch((e: Error) => setError(e.message));
  }, [id]);
  if (error) return <p role="alert">Could not read the score's history: {error}</p>;
  if (!changes) return <p className="loading">Loading…</p>;
  if (!changes.length) return <p className="hint">No change of band recorded yet.</p>;
  return (
    <ol data-testid="score-history" aria-label="Score changes">
      {changes.map((c) => (
        <li key={c.id}>
          {at(c.occurred_at)}: {scoreChangeText(c.data)}
        </li>
      ))}
    </ol>
  );
}

/** ``at`` shows a moment (the contact page passes its viewer's-and-contact's-zone format). */
export function ContactScore({ id, at = isoText }: { id: string; at?: At }) {
  const [score, setScore] = useState<Score | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    setScore(null);
    setError("");
    api<Score>("GET", `/contacts/${encodeURIComponent(id)}/score`)
      .then(setScore)
      .catch((e: Error) => setError(e.message));
  }, [id]);
  return (
    <section className="score" aria-label="Lead score" data-testid="score">
      <h3>Lead score</h3>
      {error && <p role="alert">Could not compute the score: {error}</p>}
      {!error && !score && <p className="loading">Loading…</p>}
      {score && (
        <>
          <p>
            <strong data-testid="score-value">{scoreText(score)}</strong>, computed now
          </p>
          {!score.factors.some((f) => f.points) && <p className="hint">No factor adds points yet.</p>}
          {score.factors.some((f) => f.points) && (
            <ul>
              {score.factors.filter((f) => f.points).map((f) => (
                <li key={`${f.component}:${f.factor}`}>
                  {f.factor} ({f.component}): {f.points >= 0 ? "+" : ""}
                  {f.points.toFixed(1)} points
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h4>Changes of band</h4>
      <ScoreHistory id={id} at={at} />
    </section>
  );
}
