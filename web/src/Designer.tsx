// The workflow designer: palette, canvas (@xyflow/react), inspector, live validation through
// the API, auto-layout, undo/redo, YAML import/export, draft and publish.
import {
  Background,
  Controls,
  type Edge,
  MiniMap,
  type Node,
  type NodeChange,
  type EdgeChange,
  type Connection,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from "@xyflow/react";
import { type DragEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { parse, stringify } from "yaml";
import { useStore } from "zustand";
import { ApiError, api } from "./api";
import { FlowNode, type FlowNodeData, type NodeCount } from "./FlowNode";
import {
  type Item,
  type Position,
  type Problem,
  fromDefinition,
  edgesOf,
  problemsByNode,
  toDefinition,
} from "./graph";
import { Changes } from "./Changes";
import { GoalsPanel } from "./Goals";
import { NodeContacts } from "./NodeContacts";
import { Inspector, type Schema, nodeKinds } from "./Inspector";
import { choicePath, parseChoice, versionLabel } from "./choice";
import { parseLayout, toLayout, withPositions } from "./positions";
import { edgeRuns, funnelQuery, goalText } from "./funnel";
import { type EventType, EventTypes, EVENT_LIST } from "./EventWidget";
import type { ConditionNames } from "./Inspector";
import { type Simulated, SIM_LIMITS, simEdgeRuns, simProblem } from "./simulation";
import { triggerEvent, withTriggerEvent } from "./triggers";
import { emptyWorkflow, useDesigner } from "./store";

let clipboard: Item[] = []; // copied nodes (this tab only)

interface Listed {
  key: string;
  name: string | null;
  version?: number;
}

interface Counted extends NodeCount {
  version: number;
  node: string;
}

const nodeTypes = { lf: FlowNode };
const DRAG_TYPE = "application/x-leadflow-kind";

interface Validation {
  ok: boolean;
  errors: Problem[];
  warnings: Problem[];
}

function useValidation(definition: Record<string, unknown>) {
  const [result, setResult] = useState<Validation | null>(null);
  const [pending, setPending] = useState(true);
  const [failed, setFailed] = useState("");
  const text = JSON.stringify(definition);
  useEffect(() => {
    setPending(true);
    const controller = { cancelled: false };
    const timer = setTimeout(() => {
      api<Validation>("POST", "/workflows/validate", JSON.parse(text))
        .then((r) => {
          if (!controller.cancelled) {
            setResult(r);
            setFailed("");
          }
        })
        .catch((e: Error) => !controller.cancelled && setFailed(e.message))
        .finally(() => !controller.cancelled && setPending(false));
    }, 250);
    return () => {
      controller.cancelled = true;
      clearTimeout(timer);
    };
  }, [text]);
  return { result, pending, failed };
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

interface Names extends ConditionNames {
  events: EventType[];
}

function Canvas({ schema, canWrite, names }: { schema: Schema; canWrite: boolean; names: Names }) {
  const {
    meta,
    items,
    addNode,
    updateDef,
    connect,
    disconnect,
    move,
    remove,
    setMeta,
    setStart,
    load,
    autoLayout,
    paste,
  } = useDesigner();
  const temporal = useStore(useDesigner.temporal);
  const flow = useReactFlow();
  const [dragging, setDragging] = useState<Record<string, Position>>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [sizes, setSizes] = useState<Record<string, { width: number; height: number }>>({});
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const [listed, setListed] = useState<{ published: Listed[]; drafts: Listed[] }>({ published: [], drafts: [] });
  const [counts, setCounts] = useState<{ key: string; version: number; byNode: Map<string, NodeCount> } | null>(
    null,
  );

  const refreshList = useCallback(() => {
    Promise.all([
      api<{ items: Listed[] }>("GET", "/workflows"),
      api<{ items: Listed[] }>("GET", "/workflows/drafts"),
    ])
      .then(([p, d]) => setListed({ published: p.items, drafts: d.items }))
      .catch((e: Error) => setNotice(`Could not list the workflows: ${e.message}`));
  }, []);
  useEffect(refreshList, [refreshList]);

  // the published versions of the workflow opened, and the one shown (the version picker)
  const [versions, setVersions] = useState<{ key: string; list: number[]; shown: number } | null>(null);

  // runs per edge of the version shown, from the analytics funnel's decision outcomes
  const [edgeCounts, setEdgeCounts] = useState<{ key: string; version: number; byEdge: Map<string, number> } | null>(
    null,
  );

  // the goal rate of the workflow opened (its runs that met a goal), from the same funnel
  const [goalLine, setGoalLine] = useState<{ key: string; text: string } | null>(null);

  const loadCounts = async (key: string, version: number) => {
    const found = await api<{ items: Counted[] }>("GET", `/workflows/${encodeURIComponent(key)}/counts`);
    const byNode = new Map<string, NodeCount>();
    for (const c of found.items) if (c.version === version) byNode.set(c.node, c);
    setCounts({ key, version, byNode });
    setEdgeCounts(null);
    api<Parameters<typeof edgeRuns>[0] & Parameters<typeof goalText>[0]>("GET", funnelQuery(key, 30))
      .then((f) => {
        const defs = useDesigner.getState().items.map((i) => i.def);
        setEdgeCounts({ key, version, byEdge: edgeRuns(f, version, defs) });
        setGoalLine({ key, text: goalText(f) });
      })
      .catch(() => undefined); // the node counts stand without the edges' (and the goal line)
  };

  /** A stored definition, its nodes where the draft's layout (on the server) puts them. */
  const loadPlaced = (definition: unknown, layout?: unknown) => {
    const found = fromDefinition(definition);
    load({ ...found, items: withPositions(found.items, parseLayout(layout)) });
  };
  /** The layout saved with the workflow's draft, if it has one. */
  const draftLayout = (key: string) =>
    api<{ layout: unknown }>("GET", `/workflows/${encodeURIComponent(key)}/draft`)
      .then((d) => d.layout)
      .catch(() => null);
  const saveLayout = (key: string) =>
    api("PUT", `/workflows/${encodeURIComponent(key)}/draft/layout`, toLayout(useDesigner.getState().items));

  const open = async (choice: string) => {
    const chosen = parseChoice(choice);
    const { what, key } = chosen;
    try {
      if (what === "new") {
        load(emptyWorkflow());
        setCounts(null);
        setVersions(null);
      } else if (what === "draft") {
        const d = await api<{ definition: unknown; layout: unknown }>("GET", choicePath(chosen)!);
        loadPlaced(d.definition, d.layout);
        setCounts(null);
        setVersions(null);
      } else {
        const wkey = key;
        const [w, all, layout] = await Promise.all([
          api<{ definition: unknown; version: number; layout: unknown }>("GET", choicePath(chosen)!),
          api<{ items: { version: number }[] }>("GET", `/workflows/${encodeURIComponent(wkey)}/versions`),
          draftLayout(wkey),
        ]);
        loadPlaced(w.definition, layout ?? w.layout); // the draft's places, else the key's
        setVersions({ key: wkey, list: all.items.map((v) => v.version), shown: w.version });
        await loadCounts(wkey, w.version);
        setNotice(`Opened ${wkey}, version ${w.version}: the counts are its runs.`);
      }
      useDesigner.temporal.getState().clear();
      setSim(null);
      setSelected(new Set());
      setTimeout(() => flow.fitView({ maxZoom: 1, duration: 200 }), 50);
    } catch (e) {
      setNotice(`Could not open ${key}: ${(e as Error).message}`);
    }
  };

  useEffect(() => {
    const keys = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest("input, textarea, select, [contenteditable]") || !(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === "c" && selected.size) {
        clipboard = structuredClone(items.filter((i) => selected.has(i.id)));
        setNotice(`Copied ${clipboard.length} node${clipboard.length === 1 ? "" : "s"}.`);
      } else if (key === "v" && clipboard.length && canWrite) {
        e.preventDefault();
        setSelected(new Set(paste(clipboard)));
      }
    };
    window.addEventListener("keydown", keys);
    return () => window.removeEventListener("keydown", keys);
  }, [items, selected, paste, canWrite]);

  useEffect(() => {
    if (items.length) setTimeout(() => flow.fitView({ maxZoom: 1 }), 0); // a draft opened
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const definition = useMemo(() => toDefinition(meta, items), [meta, items]);
  const definitionText = useMemo(() => JSON.stringify(definition), [definition]);
  const { result, pending, failed } = useValidation(definition);

  // the simulation of the canvas as it was when simulated; drawn while the canvas says the same
  const [sim, setSim] = useState<{ of: string; result: Simulated } | null>(null);
  const [simBusy, setSimBusy] = useState(false);
  const [simError, setSimError] = useState("");
  const [simLeads, setSimLeads] = useState("50");
  const [simDays, setSimDays] = useState("14");
  const simShown = sim && sim.of === definitionText ? sim.result : null;
  const simByNode = useMemo(() => new Map((simShown?.nodes ?? []).map((n) => [n.node, n])), [simShown]);
  const simByEdge = useMemo(() => simEdgeRuns(simShown?.edges ?? []), [simShown]);
  const simulate = async () => {
    const leads = Number(simLeads);
    const days = Number(simDays);
    const problem = simProblem(leads, days);
    setSimError(problem);
    if (problem) return;
    setSimBusy(true);
    try {
      const result = await api<Simulated>("POST", "/workflows/simulate", { definition, leads, days });
      setSim({ of: definitionText, result });
    } catch (e) {
      const body = e instanceof ApiError ? (e.body as { errors?: { field: string; problem: string }[] }) : null;
      const first = body?.errors?.[0];
      setSimError(first ? `${first.field}: ${first.problem}` : (e as Error).message);
    } finally {
      setSimBusy(false);
    }
  };
  const { byNode, general } = useMemo(
    () => problemsByNode(result?.errors ?? [], items),
    [result, items],
  );

  const nodes: Node[] = useMemo(
    () =>
      items.map((i) => ({
        id: i.id,
        type: "lf",
        position: dragging[i.id] ?? i.position,
        measured: sizes[i.id],
        selected: selected.has(i.id),
        data: {
          def: i.def,
          errors: byNode.get(i.id) ?? [],
          isStart: meta.start === i.id,
          count: counts && counts.key === meta.key ? counts.byNode.get(i.id) : undefined,
          sim: simByNode.get(i.id),
        } satisfies FlowNodeData,
      })),
    [items, dragging, selected, byNode, meta.start, meta.key, sizes, counts, simByNode],
  );
  const edges: Edge[] = useMemo(
    () =>
      edgesOf(items).map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        sourceHandle: e.handle,
        targetHandle: "in",
        label: (() => {
          let label = e.label;
          if (edgeCounts && edgeCounts.key === meta.key && edgeCounts.byEdge.has(e.id)) {
            const runs = edgeCounts.byEdge.get(e.id)!;
            label = `${label} · ${runs} run${runs === 1 ? "" : "s"}`;
          }
          if (simByEdge.has(e.id)) label = `${label} · simulated ${simByEdge.get(e.id)}`;
          return label;
        })(),
        className: simByEdge.has(e.id) ? "simulated" : undefined,
        data: { handle: e.handle },
      })),
    [items, edgeCounts, meta.key, simByEdge],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      const done: Record<string, Position> = {};
      const nextDragging = { ...dragging };
      let draggingChanged = false;
      const nextSelected = new Set(selected);
      let selectionChanged = false;
      const removed: string[] = [];
      const measured: Record<string, { width: number; height: number }> = {};
      for (const c of changes) {
        if (c.type === "dimensions" && c.dimensions) {
          measured[c.id] = c.dimensions; // what the canvas measured: the minimap and fit need it
        } else if (c.type === "position" && c.position) {
          nextDragging[c.id] = c.position;
          draggingChanged = true;
          if (!c.dragging) done[c.id] = c.position;
        } else if (c.type === "position" && !c.dragging && nextDragging[c.id]) {
          done[c.id] = nextDragging[c.id];
        } else if (c.type === "select") {
          if (c.selected) nextSelected.add(c.id);
          else nextSelected.delete(c.id);
          selectionChanged = true;
        } else if (c.type === "remove" && canWrite) {
          removed.push(c.id);
        }
      }
      if (Object.keys(done).length) {
        move(done); // one undo step per drag
        for (const id of Object.keys(done)) delete nextDragging[id];
        draggingChanged = true;
      }
      if (Object.keys(measured).length) setSizes((old) => ({ ...old, ...measured }));
      if (draggingChanged) setDragging(nextDragging);
      if (selectionChanged) setSelected(nextSelected);
      if (removed.length) remove(removed);
    },
    [dragging, selected, move, remove, canWrite],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      for (const c of changes) {
        if (c.type === "remove" && canWrite) {
          const [source, ...rest] = c.id.split(":");
          disconnect(source, rest.join(":"));
        }
      }
    },
    [disconnect, canWrite],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (canWrite && c.source && c.target && c.sourceHandle && c.source !== c.target) {
        connect(c.source, c.sourceHandle, c.target);
      }
    },
    [connect, canWrite],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      if (!kind || !canWrite) return;
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const id = addNode(kind, { x: Math.round(at.x - 110), y: Math.round(at.y - 30) });
      setSelected(new Set([id]));
    },
    [flow, addNode, canWrite],
  );

  const focusNode = (id: string) => {
    const item = items.find((i) => i.id === id);
    if (!item) return;
    setSelected(new Set([id]));
    flow.setCenter(item.position.x + 110, item.position.y + 40, { zoom: 1.2, duration: 200 });
  };

  const selectedItem = selected.size === 1 ? items.find((i) => selected.has(i.id)) : undefined;
  const nodeDefs = useMemo(() => items.map((i) => i.def), [items]);
  const errorCount = result?.errors.length ?? 0;
  const canPublish = canWrite && !pending && !failed && result?.ok === true && items.length > 0;

  const exportYaml = () => download(`${meta.key || "workflow"}.yaml`, stringify(definition));
  const importYaml = async (file: File) => {
    try {
      const loaded = fromDefinition(parse(await file.text()));
      load(loaded);
      setSelected(new Set());
      setNotice(`Imported ${file.name}: ${loaded.items.length} nodes.`);
      setTimeout(() => flow.fitView({ duration: 200 }), 50);
    } catch (e) {
      setNotice(`Could not import ${file.name}: ${(e as Error).message}`);
    }
  };
  const run = async (what: string, call: () => Promise<string>) => {
    setBusy(true);
    setNotice(`${what}…`);
    try {
      setNotice(await call());
    } catch (e) {
      setNotice(`${what} failed: ${e instanceof ApiError ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="designer">
      <div className="toolbar" role="toolbar" aria-label="Workflow">
        <label className="open">
          Open
          <select
            aria-label="Open a workflow"
            value=""
            onFocus={refreshList}
            onChange={(e) => e.target.value && void open(e.target.value)}
          >
            <option value="">choose…</option>
            <option value="new:">a new workflow</option>
            {listed.published.length > 0 && (
              <optgroup label="Published">
                {listed.published.map((w) => (
                  <option key={`p${w.key}`} value={`published:${w.key}`}>
                    {w.key} (v{w.version})
                  </option>
                ))}
              </optgroup>
            )}
            {listed.drafts.length > 0 && (
              <optgroup label="Drafts">
                {listed.drafts.map((w) => (
                  <option key={`d${w.key}`} value={`draft:${w.key}`}>
                    {w.key} (draft)
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        {versions && versions.key === meta.key && (
          <label className="open">
            Version
            <select
              aria-label="Version"
              value={String(versions.shown)}
              onChange={(e) => void open(`version:${versions.key}:${e.target.value}`)}
            >
              {versions.list.map((v) => (
                <option key={v} value={String(v)}>
                  {versionLabel(v, versions.list)}
                </option>
              ))}
            </select>
          </label>
        )}
        {versions && goalLine && goalLine.key === meta.key && versions.key === meta.key && (
          <span className="hint" data-testid="goal-rate">
            {goalLine.text}
          </span>
        )}
        <label>
          Key <input value={meta.key} onChange={(e) => setMeta({ key: e.target.value })} aria-label="Workflow key" />
        </label>
        <label>
          Name <input value={meta.name} onChange={(e) => setMeta({ name: e.target.value })} aria-label="Workflow name" />
        </label>
        <label>
          Trigger event{" "}
          <input
            value={triggerEvent(meta.triggers)}
            list={EVENT_LIST}
            autoComplete="off"
            readOnly={!canWrite}
            aria-label="Trigger event"
            title="An event type of the vocabulary, or one of your own; blank: no event trigger"
            onChange={(e) => setMeta({ triggers: withTriggerEvent(meta.triggers, e.target.value.trim()) })}
          />
        </label>
        <button onClick={() => temporal.undo()} disabled={!temporal.pastStates.length} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button onClick={() => temporal.redo()} disabled={!temporal.futureStates.length} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button
          onClick={() => {
            autoLayout();
            setTimeout(() => flow.fitView({ duration: 200 }), 50);
          }}
          disabled={!items.length}
        >
          Auto-layout
        </button>
        <button onClick={exportYaml} disabled={!items.length}>
          Export YAML
        </button>
        <button onClick={() => fileInput.current?.click()} disabled={!canWrite}>
          Import YAML
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".yaml,.yml,application/yaml,text/yaml"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void importYaml(file);
            e.target.value = "";
          }}
        />
        <button
          disabled={!canWrite || busy || !items.length}
          onClick={() =>
            run("Saving the draft", async () => {
              await api("PUT", `/workflows/${encodeURIComponent(meta.key)}/draft`, definition);
              await saveLayout(meta.key);
              refreshList();
              return "Draft saved.";
            })
          }
        >
          Save draft
        </button>
        <button
          className="primary"
          disabled={!canPublish || busy}
          title={canPublish ? "Publish a new version" : "Fix the errors first"}
          onClick={() =>
            run("Publishing", async () => {
              const r = await api<{ version: number; created: boolean }>(
                "POST",
                `/workflows/${encodeURIComponent(meta.key)}/publish`,
                definition,
              );
              if (listed.drafts.some((d) => d.key === meta.key)) await saveLayout(meta.key).catch(() => undefined);
              await api("PUT", `/workflows/${encodeURIComponent(meta.key)}/layout`, toLayout(useDesigner.getState().items)).catch(
                () => undefined,
              );
              refreshList();
              await loadCounts(meta.key, r.version).catch(() => undefined);
              return r.created ? `Published version ${r.version}.` : `Unchanged: version ${r.version} is live.`;
            })
          }
        >
          Publish
        </button>
        <button
          disabled={!canWrite || simBusy || !items.length || result?.ok !== true}
          title={result?.ok ? "Run it for synthetic leads over virtual days" : "Fix the errors first"}
          onClick={() => void simulate()}
        >
          {simBusy ? "Simulating…" : "Simulate"}
        </button>
        <span className="status" role="status" data-testid="validation">
          {failed
            ? `Validation unavailable: ${failed}`
            : pending || !result
              ? "Checking…"
              : result.ok
                ? "Valid"
                : `${errorCount} error${errorCount === 1 ? "" : "s"}`}
        </span>
      </div>
      {notice && (
        <p className="notice" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      <EventTypes events={names.events} />
      <div className="workspace">
        <aside className="palette" aria-label="Node kinds">
          <h2>Nodes</h2>
          {nodeKinds(schema).map((kind) => (
            <button
              key={kind}
              className="palette-item"
              draggable={canWrite}
              disabled={!canWrite}
              data-testid={`palette-${kind}`}
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_TYPE, kind);
                e.dataTransfer.effectAllowed = "move";
              }}
              onClick={() => {
                // keyboard and click: place it in the middle of the view
                const box = document.querySelector(".canvas")?.getBoundingClientRect();
                const at = flow.screenToFlowPosition({
                  x: (box?.left ?? 0) + (box?.width ?? 600) / 2,
                  y: (box?.top ?? 0) + (box?.height ?? 400) / 2,
                });
                const id = addNode(kind, { x: Math.round(at.x - 110), y: Math.round(at.y - 40) });
                setSelected(new Set([id]));
              }}
            >
              {kind}
            </button>
          ))}
        </aside>
        <div className="canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="canvas">
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            nodesDraggable={canWrite}
            nodesConnectable={canWrite}
            deleteKeyCode={["Delete", "Backspace"]}
            multiSelectionKeyCode={["Shift", "Meta", "Control"]}
            defaultViewport={{ x: 0, y: 0, zoom: 1 }}
            minZoom={0.1}
          >
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
        </div>
        <div className="side">
          {selectedItem && counts && counts.key === meta.key && counts.byNode.get(selectedItem.id) && (
            <NodeContacts
              key={selectedItem.id}
              workflow={meta.key}
              version={counts.version}
              node={selectedItem.id}
              count={counts.byNode.get(selectedItem.id)!}
            />
          )}
          {selectedItem ? (
            <Inspector
              schema={schema}
              names={names}
              def={selectedItem.def}
              nodes={nodeDefs}
              errors={byNode.get(selectedItem.id) ?? []}
              onChange={(def) => updateDef(selectedItem.id, def)}
              onStart={() => setStart(selectedItem.id)}
              isStart={meta.start === selectedItem.id}
              readOnly={!canWrite}
            />
          ) : (
            <>
              <p className="hint">Drag a node kind onto the canvas, connect ports by dragging, select a node to edit it.</p>
              <GoalsPanel
                schema={schema}
                settings={meta.settings}
                onChange={(settings) => setMeta({ settings })}
                readOnly={!canWrite}
              />
            </>
          )}
          {canWrite && (
            <section className="simulation" aria-label="Simulation" data-testid="simulation">
              <h2>Simulation</h2>
              <div className="sim-inputs">
                <label>
                  Leads{" "}
                  <input
                    type="number"
                    min={1}
                    max={SIM_LIMITS.leads}
                    value={simLeads}
                    onChange={(e) => setSimLeads(e.target.value)}
                    aria-label="Simulated leads"
                  />
                </label>
                <label>
                  Days{" "}
                  <input
                    type="number"
                    min={1}
                    max={SIM_LIMITS.days}
                    value={simDays}
                    onChange={(e) => setSimDays(e.target.value)}
                    aria-label="Virtual days"
                  />
                </label>
              </div>
              {simError && (
                <p role="alert" className="error">
                  {simError}
                </p>
              )}
              {sim && !simShown && <p className="hint">The canvas changed since: simulate again to see its numbers.</p>}
              {simShown && (
                <div data-testid="sim-result">
                  <p>
                    {simShown.leads} synthetic leads over {simShown.virtual_days} virtual days (seed {simShown.seed}):{" "}
                    {Object.entries(simShown.runs)
                      .map(([k, v]) => `${v} ${k}`)
                      .join(", ") || "no runs"}
                    . Deferred for quiet hours: {simShown.deferred_for_quiet_hours}
                    {Object.keys(simShown.suppressed).length > 0 &&
                      `; held back: ${Object.entries(simShown.suppressed)
                        .map(([k, v]) => `${v} ${k}`)
                        .join(", ")}`}
                    .
                  </p>
                  <h3>Failures</h3>
                  {simShown.failure_list.length === 0 ? (
                    <p className="hint">None.</p>
                  ) : (
                    <ul data-testid="sim-failures">
                      {simShown.failure_list.map((f) => (
                        <li key={`${f.node}:${f.reason}`} className="error">
                          <button className="link" onClick={() => focusNode(f.node)}>
                            {f.node}
                          </button>
                          : {f.reason} ({f.count} run{f.count === 1 ? "" : "s"})
                        </li>
                      ))}
                    </ul>
                  )}
                  {simShown.not_reached.length > 0 && <p className="hint">Not reached: {simShown.not_reached.join(", ")}.</p>}
                  {simShown.notes.map((n) => (
                    <p key={n} className="hint">
                      {n}
                    </p>
                  ))}
                  <button onClick={() => setSim(null)}>Clear the simulation</button>
                </div>
              )}
            </section>
          )}
          {(() => {
            const live = listed.published.find((w) => w.key === meta.key);
            return live?.version ? (
              <Changes
                key={`${live.key}:${live.version}`}
                workflowKey={live.key}
                definition={definition}
                latest={live.version}
                canWrite={canWrite}
              />
            ) : null;
          })()}
          {result && (result.errors.length > 0 || result.warnings.length > 0) && (
            <section className="problems" aria-label="Problems">
              <h2>Problems</h2>
              <ul>
                {result.errors.map((p, n) => {
                  const id = /\(([^)]+)\)/.exec(p.path)?.[1];
                  return (
                    <li key={`e${n}`} className="error">
                      {id && byNode.has(id) ? (
                        <button className="link" onClick={() => focusNode(id)}>
                          {p.path}
                        </button>
                      ) : (
                        <span>{p.path || "workflow"}</span>
                      )}
                      : {p.problem}
                    </li>
                  );
                })}
                {result.warnings.map((p, n) => (
                  <li key={`w${n}`} className="warning">
                    {p.path || "workflow"}: {p.problem}
                  </li>
                ))}
              </ul>
              {general.length > 0 && <p className="hint">{general.length} about the workflow as a whole.</p>}
            </section>
          )}
        </div>
      </div>
    </div>
  );
}

export function Designer({ canWrite }: { canWrite: boolean }) {
  const [schema, setSchema] = useState<Schema | null>(null);
  const [error, setError] = useState("");
  const [names, setNames] = useState<Names>({ events: [] });
  useEffect(() => {
    api<Schema>("GET", "/workflows/schema")
      .then(setSchema)
      .catch((e: Error) => setError(e.message));
    // the pickers' names; without them the fields stay free text
    Promise.all([
      api<{ items: EventType[] }>("GET", "/schema/events").catch(() => ({ items: [] })),
      api<{ fields: string[]; roots: string[]; ops: string[] }>("GET", "/schema/contact").catch(() => null),
    ]).then(([events, contact]) =>
      setNames({
        events: events.items,
        ...(contact ? { contactFields: contact.fields, roots: contact.roots, ops: contact.ops } : {}),
      }),
    );
  }, []);
  useEffect(() => {
    const keys = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") {
        e.preventDefault();
        if (e.shiftKey) useDesigner.temporal.getState().redo();
        else useDesigner.temporal.getState().undo();
      }
    };
    window.addEventListener("keydown", keys);
    return () => window.removeEventListener("keydown", keys);
  }, []);
  if (error) return <p role="alert">Could not load the node kinds: {error}</p>;
  if (!schema) return <p className="loading">Loading the designer…</p>;
  return (
    <ReactFlowProvider>
      <Canvas schema={schema} canWrite={canWrite} names={names} />
    </ReactFlowProvider>
  );
}
