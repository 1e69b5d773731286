// The designer's state: one zustand store, with undo/redo (zundo) over the workflow itself
// (its settings and nodes, positions included); selection and drags in flight are not history.
import { create } from "zustand";
import { temporal } from "zundo";
import {
  type Def,
  type Item,
  type Meta,
  type Position,
  copyItems,
  layout,
  newDef,
  newId,
  removeItems,
  withTarget,
} from "./graph";

export interface Workflow {
  meta: Meta;
  items: Item[];
}

export interface DesignerState extends Workflow {
  addNode: (kind: string, position: Position) => string;
  updateDef: (id: string, def: Def) => void;
  connect: (source: string, handle: string, target: string) => void;
  disconnect: (source: string, handle: string) => void;
  move: (positions: Record<string, Position>) => void;
  remove: (ids: string[]) => void;
  setMeta: (meta: Partial<Meta>) => void;
  setStart: (id: string) => void;
  load: (workflow: Workflow) => void;
  autoLayout: () => void;
  paste: (picked: Item[]) => string[];
}

export const emptyWorkflow = (): Workflow => ({
  meta: {
    key: "new-workflow",
    name: "New workflow",
    triggers: [{ type: "event", event: "lead.created" }],
    start: "",
  },
  items: [],
});

export const createDesignerStore = () =>
  create<DesignerState>()(
    temporal(
      (set, get) => ({
        ...emptyWorkflow(),
        addNode: (kind, position) => {
          const id = newId(kind, get().items);
          set((s) => ({
            items: [...s.items, { id, position, def: newDef(kind, id) }],
            meta: s.meta.start ? s.meta : { ...s.meta, start: id },
          }));
          return id;
        },
        updateDef: (id, def) =>
          set((s) => ({
            items: s.items.map((i) => (i.id === id ? { ...i, def: { ...def, id, kind: i.def.kind } } : i)),
          })),
        connect: (source, handle, target) =>
          set((s) => ({
            items: s.items.map((i) => (i.id === source ? { ...i, def: withTarget(i.def, handle, target) } : i)),
          })),
        disconnect: (source, handle) =>
          set((s) => ({
            items: s.items.map((i) => (i.id === source ? { ...i, def: withTarget(i.def, handle, null) } : i)),
          })),
        move: (positions) =>
          set((s) => ({
            items: s.items.map((i) => (positions[i.id] ? { ...i, position: positions[i.id] } : i)),
          })),
        remove: (ids) =>
          set((s) => {
            const gone = new Set(ids);
            const items = removeItems(s.items, gone);
            const start = gone.has(s.meta.start) ? (items[0]?.id ?? "") : s.meta.start;
            return { items, meta: { ...s.meta, start } };
          }),
        setMeta: (meta) => set((s) => ({ meta: { ...s.meta, ...meta } })),
        setStart: (id) => set((s) => ({ meta: { ...s.meta, start: id } })),
        load: (workflow) => set(() => ({ meta: workflow.meta, items: workflow.items })),
        autoLayout: () => set((s) => ({ items: layout(s.items) })),
        paste: (picked) => {
          const copies = copyItems(picked, get().items);
          set((s) => ({ items: [...s.items, ...copies] }));
          return copies.map((c) => c.id);
        },
      }),
      {
        limit: 200,
        partialize: (s): Workflow => ({ meta: s.meta, items: s.items }),
        equality: (a, b) => a.meta === b.meta && a.items === b.items,
      },
    ),
  );

export type DesignerStore = ReturnType<typeof createDesignerStore>;
export const useDesigner = createDesignerStore();
