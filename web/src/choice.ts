// The designer's "Open" and "Version" choices as one string (a <select>'s value): `new:`,
// `draft:<key>`, `published:<key>` (the latest version) or `version:<key>:<n>`.
export interface Choice {
  what: "new" | "draft" | "published" | "version";
  key: string;
  version: number | null;
}

export function parseChoice(choice: string): Choice {
  const at = choice.indexOf(":");
  const what = choice.slice(0, at) as Choice["what"];
  const rest = choice.slice(at + 1);
  if (what === "version") {
    const last = rest.lastIndexOf(":");
    return { what, key: rest.slice(0, last), version: Number(rest.slice(last + 1)) };
  }
  return { what, key: rest, version: null };
}

/** The API path of the definition a choice opens (none for a new workflow). */
export function choicePath(c: Choice): string | null {
  const key = encodeURIComponent(c.key);
  if (c.what === "new") return null;
  if (c.what === "draft") return `/workflows/${key}/draft`;
  if (c.what === "version") return `/workflows/${key}/versions/${c.version}`;
  return `/workflows/${key}`;
}

/** The picker's label of a version. */
export function versionLabel(version: number, all: number[]): string {
  return all.length && version === Math.max(...all) ? `v${version} (latest)` : `v${version}`;
}
