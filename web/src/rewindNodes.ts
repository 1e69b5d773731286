// The nodes a run visited, from its history, in the order first visited (the rewind's targets);
// the rewind steps themselves are not visits.
export function visitedNodes(steps: { node: string; kind: string }[]): string[] {
  const seen: string[] = [];
  for (const s of steps) if (s.kind !== "rewind" && !seen.includes(s.node)) seen.push(s.node);
  return seen;
}
