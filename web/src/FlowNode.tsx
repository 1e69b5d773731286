import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { type Def, portsOf } from "./graph";
import { type SimNode, simText } from "./simulation";

export interface NodeCount {
  entered: number;
  current: number;
  exited: number;
  sent: number;
  replied: number;
}

export interface FlowNodeData extends Record<string, unknown> {
  def: Def;
  errors: string[];
  isStart: boolean;
  count?: NodeCount;
  sim?: SimNode;
}

function summary(def: Def): string {
  for (const field of ["body", "subject", "duration", "time", "event", "goal", "workflow", "url", "action"]) {
    const v = def[field];
    if (typeof v === "string" && v) return v.length > 48 ? `${v.slice(0, 47)}…` : v;
  }
  return "";
}

export const FlowNode = memo(function FlowNode({ data, selected }: NodeProps) {
  const { def, errors, isStart, count, sim } = data as FlowNodeData;
  const ports = portsOf(def);
  return (
    <div
      className={`lf-node${errors.length ? " has-errors" : ""}${selected ? " selected" : ""}`}
      data-testid={`node-${def.id}`}
      data-kind={def.kind}
    >
      <Handle type="target" position={Position.Top} id="in" />
      <div className="lf-node-head">
        <span className="kind">{def.kind}</span>
        {isStart && <span className="start">start</span>}
      </div>
      <div className="lf-node-id">{typeof def.name === "string" && def.name ? def.name : def.id}</div>
      <div className="lf-node-summary">{summary(def)}</div>
      {count && (
        <div className="lf-node-count" data-testid={`count-${def.id}`} title="Runs of the published version">
          in {count.entered} · here {count.current} · exited {count.exited}
          {count.sent ? ` · sent ${count.sent}` : ""}
          {count.replied ? ` · replied ${count.replied}` : ""}
        </div>
      )}
      {sim && (
        <div className="lf-node-sim" data-testid={`sim-${def.id}`} title="Simulated runs (synthetic leads), not live ones">
          {simText(sim)}
        </div>
      )}
      {errors.length > 0 && (
        <div className="lf-node-errors" role="status" data-testid={`errors-${def.id}`}>
          {errors[0]}
          {errors.length > 1 ? ` (+${errors.length - 1})` : ""}
        </div>
      )}
      <div className="lf-ports">
        {ports.map((p) => (
          <span key={p.handle} className="lf-port-label">
            {p.label}
          </span>
        ))}
      </div>
      {ports.map((p, i) => (
        <Handle
          key={p.handle}
          type="source"
          position={Position.Bottom}
          id={p.handle}
          data-testid={`port-${def.id}-${p.handle}`}
          style={{ left: `${((i + 1) / (ports.length + 1)) * 100}%` }}
          title={p.label}
        />
      ))}
    </div>
  );
});
