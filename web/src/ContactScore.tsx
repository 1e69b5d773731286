// A contact's lead score on its page: the 0-100 score and band as computed now
// (GET /contacts/{id}/score), with the factors it is made of.
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

export function ContactScore({ id }: { id: string }) {
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
    </section>
  );
}
