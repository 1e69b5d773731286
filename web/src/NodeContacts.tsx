// A published node's live counts as links to the contacts behind them (the analytics
// funnel's drill-down, GET /analytics/funnel/contacts), shown beside the selected node.
import { useState } from "react";
import { DrillContacts } from "./Analytics";
import type { NodeCount } from "./FlowNode";

const FIGURES = [
  ["entered", "in"],
  ["current", "here"],
] as const;

export function NodeContacts({
  workflow,
  version,
  node,
  count,
}: {
  workflow: string;
  version: number;
  node: string;
  count: NodeCount;
}) {
  const [metric, setMetric] = useState<string | null>(null);
  return (
    <section className="node-contacts" aria-label="Contacts at this node" data-testid="node-contacts">
      <p>
        v{version} live:{" "}
        {FIGURES.map(([name, label]) =>
          count[name] ? (
            <button
              key={name}
              type="button"
              className="link"
              onClick={() => setMetric(name)}
              aria-label={`${label} ${count[name]}: the contacts`}
            >
              {label} {count[name]}
            </button>
          ) : (
            <span key={name}>
              {label} 0{" "}
            </span>
          ),
        )}
      </p>
      {metric && (
        <DrillContacts
          key={`${node}:${metric}`}
          workflow={workflow}
          drill={{ metric, version, node }}
          windowDays={30}
          onClose={() => setMetric(null)}
        />
      )}
    </section>
  );
}
