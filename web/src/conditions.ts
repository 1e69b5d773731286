// A branch condition as a tree: a comparison ({field, op, value}) or a group ({all: [...]},
// {any: [...]}, {not: ...}), nested as deep as wanted (definitions/conditions_model.py). The
// editor changes it by path: the indexes from the root down (a `not` has one child, index 0).
export type Cond = Record<string, unknown>;
export type CondKind = "compare" | "all" | "any" | "not";
export type Path = number[];

export const KIND_LABELS: Record<CondKind, string> = {
  compare: "field comparison",
  all: "all of (and)",
  any: "any of (or)",
  not: "not",
};

export const DEFAULT_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists", "between", "changed"];

export function newComparison(): Cond {
  return { field: "contact.stage", op: "eq", value: "new" };
}

export function kindOf(c: unknown): CondKind {
  if (c && typeof c === "object") {
    if (Array.isArray((c as Cond).all)) return "all";
    if (Array.isArray((c as Cond).any)) return "any";
    if ("not" in (c as Cond)) return "not";
  }
  return "compare";
}

/** The children of a group (a comparison has none). */
export function childrenOf(c: Cond): Cond[] {
  const kind = kindOf(c);
  if (kind === "all" || kind === "any") return c[kind] as Cond[];
  if (kind === "not") return [(c.not ?? newComparison()) as Cond];
  return [];
}

function withChildren(c: Cond, children: Cond[]): Cond {
  const kind = kindOf(c);
  if (kind === "not") return { not: children[0] ?? newComparison() };
  if (kind === "all" || kind === "any") return { [kind]: children };
  return c;
}

/** ``c`` turned into ``kind``, keeping what it held: a comparison becomes a group's first
 * member (or what `not` negates); a group becomes a comparison again by its first member. */
export function convert(c: Cond, kind: CondKind): Cond {
  const from = kindOf(c);
  if (from === kind) return c;
  const kept = from === "compare" ? [c] : childrenOf(c);
  if (kind === "compare") {
    const first = kept[0];
    return first && kindOf(first) === "compare" ? first : newComparison();
  }
  if (kind === "not") return { not: kept.length === 1 ? kept[0] : { all: kept } };
  return { [kind]: kept.length ? kept : [newComparison()] };
}

export function getAt(c: Cond, path: Path): Cond | undefined {
  let at: Cond | undefined = c;
  for (const i of path) at = at ? childrenOf(at)[i] : undefined;
  return at;
}

/** A copy of the tree with the node at ``path`` replaced by ``value``. */
export function setAt(c: Cond, path: Path, value: Cond): Cond {
  if (path.length === 0) return value;
  const [i, ...rest] = path;
  const children = [...childrenOf(c)];
  if (i < 0 || i >= children.length) return c;
  children[i] = setAt(children[i], rest, value);
  return withChildren(c, children);
}

/** A copy with ``child`` added at the end of the group at ``path``. */
export function addAt(c: Cond, path: Path, child: Cond): Cond {
  const group = getAt(c, path);
  if (!group || (kindOf(group) !== "all" && kindOf(group) !== "any")) return c;
  return setAt(c, path, withChildren(group, [...childrenOf(group), child]));
}

/** A copy without the node at ``path`` (a group keeps at least one member; the root stays). */
export function removeAt(c: Cond, path: Path): Cond {
  if (path.length === 0) return c;
  const parentPath = path.slice(0, -1);
  const parent = getAt(c, parentPath);
  if (!parent) return c;
  const kind = kindOf(parent);
  if (kind !== "all" && kind !== "any") return c;
  const children = childrenOf(parent).filter((_, n) => n !== path[path.length - 1]);
  if (children.length === 0) return c;
  return setAt(c, parentPath, withChildren(parent, children));
}

/** A comparison's problem the editor can say at once (the API says the rest). */
export function comparisonProblem(c: Cond, roots: string[]): string {
  const field = typeof c.field === "string" ? c.field : "";
  if (!field) return "a field is required";
  const root = field.split(".")[0];
  if (!roots.includes(root)) return `a field starts with ${roots.join(", ")}`;
  return "";
}
