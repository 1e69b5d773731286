import { describe, expect, it } from "vitest";
import { conditionText } from "./graph";
import { addAt, comparisonProblem, convert, getAt, kindOf, removeAt, setAt, type Cond } from "./conditions";

const tx: Cond = { field: "contact.state", op: "eq", value: "TX" };
const hot: Cond = { field: "contact.score", op: "gt", value: 50 };
const replied: Cond = { field: "steps.hello.replied", op: "eq", value: true };

describe("editing a nested condition", () => {
  it("turns a comparison into a group and back, keeping it", () => {
    const all = convert(tx, "all");
    expect(all).toEqual({ all: [tx] });
    expect(convert(all, "any")).toEqual({ any: [tx] });
    expect(convert(all, "not")).toEqual({ not: tx });
    expect(convert({ all: [tx, hot] }, "not")).toEqual({ not: { all: [tx, hot] } });
    expect(convert({ not: tx }, "compare")).toEqual(tx);
    expect(convert({ any: [tx, hot] }, "compare")).toEqual(tx);
    expect(kindOf({ not: tx })).toBe("not");
  });

  it("adds, changes and removes members at any depth", () => {
    // all( TX, any( score > 50, not(replied) ) )
    let c: Cond = convert(tx, "all");
    c = addAt(c, [], convert(hot, "any"));
    c = addAt(c, [1], { not: replied });
    expect(conditionText(c)).toBe(
      "all(contact.state eq TX, any(contact.score gt 50, not(steps.hello.replied eq true)))",
    );
    expect(getAt(c, [1, 1, 0])).toEqual(replied);
    c = setAt(c, [1, 1, 0], { ...replied, value: false });
    expect(getAt(c, [1, 1, 0])?.value).toBe(false);
    c = removeAt(c, [1, 0]);
    expect(c).toEqual({ all: [tx, { any: [{ not: { ...replied, value: false } }] }] });
    // the last member of a group, the root and a path that is not there change nothing
    expect(removeAt(c, [1, 0])).toBe(c);
    expect(removeAt(c, [])).toBe(c);
    expect(setAt(c, [7], hot)).toBe(c);
    expect(addAt(c, [0], hot)).toBe(c); // a comparison takes no members
  });

  it("leaves the tree it was given unchanged (undo keeps the old one)", () => {
    const before: Cond = { all: [tx, hot] };
    const copy = structuredClone(before);
    setAt(before, [0], replied);
    addAt(before, [], replied);
    removeAt(before, [1]);
    expect(before).toEqual(copy);
  });

  it("says at once when a field does not start with a root", () => {
    const roots = ["contact", "event", "context", "steps"];
    expect(comparisonProblem(tx, roots)).toBe("");
    expect(comparisonProblem({ field: "", op: "eq" }, roots)).toBe("a field is required");
    expect(comparisonProblem({ field: "lead.state", op: "eq" }, roots)).toMatch(/starts with contact/);
  });
});
