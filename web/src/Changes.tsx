// What the canvas changes against the published version, and moving the runs in flight to a
// newer version: a dry run first (who would move where), then, when asked, the move.
import { useState } from "react";
import { api } from "./api";
import { type DefinitionDiff, diffDefinitions } from "./graph";

interface Move {
  from_version: number;
  from_node: string;
  to_node: string | null;
  runs: number;
}
interface Migration {
  to_version: number;
  dry_run: boolean;
  moves: Move[];
  total: number;
  unmapped: number;
  moved: number;
  conflicts: number;
  skipped: number;
}

export function Changes({
  workflowKey,
  definition,
  latest,
  canWrite,
}: {
  workflowKey: string;
  definition: Record<string, unknown>;
  latest: number;
  canWrite: boolean;
}) {
  const [diff, setDiff] = useState<DefinitionDiff | null>(null);
  const [plan, setPlan] = useState<Migration | null>(null);
  const [error, setError] = useState("");
  const path = `/workflows/${encodeURIComponent(workflowKey)}`;
  const compare = async () => {
    setError("");
    try {
      const live = await api<{ definition: Record<string, unknown> }>("GET", path);
      setDiff(diffDefinitions(live.definition, definition));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const migrate = async (dryRun: boolean) => {
    setError("");
    try {
      setPlan(
        await api<Migration>("POST", `${path}/migrate`, {
          to_version: latest,
          dry_run: dryRun,
          skip_unmapped: true,
        }),
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const nothing = diff && !diff.added.length && !diff.removed.length && !diff.changed.length && !diff.settings.length;
  return (
    <section className="changes" aria-label="Changes" data-testid="changes">
      <h2>
        Against v{latest} (published)
      </h2>
      <button onClick={() => void compare()}>Compare with v{latest}</button>{" "}
      {canWrite && <button onClick={() => void migrate(true)}>Runs in flight: dry run to v{latest}</button>}
      {error && <p role="alert">{error}</p>}
      {diff && (
        <ul data-testid="diff">
          {nothing && <li>No change.</li>}
          {diff.added.map((id) => (
            <li key={`a${id}`}>added {id}</li>
          ))}
          {diff.removed.map((id) => (
            <li key={`r${id}`}>removed {id}</li>
          ))}
          {diff.changed.map((c) => (
            <li key={`c${c.id}`}>
              changed {c.id}: {c.fields.join(", ")}
            </li>
          ))}
          {diff.settings.length > 0 && <li>workflow: {diff.settings.join(", ")}</li>}
        </ul>
      )}
      {plan && (
        <div data-testid="migration">
          <p>
            {plan.dry_run ? "Dry run" : "Done"}: {plan.total} open run{plan.total === 1 ? "" : "s"};{" "}
            {plan.dry_run ? "" : `${plan.moved} moved, ${plan.conflicts} advanced meanwhile, `}
            {plan.unmapped} at nodes v{plan.to_version} lacks (left where they are).
          </p>
          {plan.moves.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">Runs</th>
                </tr>
              </thead>
              <tbody>
                {plan.moves.map((m) => (
                  <tr key={`${m.from_version}:${m.from_node}`}>
                    <td>
                      v{m.from_version} {m.from_node}
                    </td>
                    <td>{m.to_node ?? "(no such node)"}</td>
                    <td>{m.runs}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {plan.dry_run && plan.total > plan.unmapped && canWrite && (
            <button className="primary" onClick={() => void migrate(false)}>
              Move them to v{plan.to_version}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
