import { describe, expect, it } from "vitest";
import { choicePath, parseChoice, versionLabel } from "./choice";

describe("the designer's open and version choices", () => {
  it("reads each kind of choice", () => {
    expect(parseChoice("new:")).toEqual({ what: "new", key: "", version: null });
    expect(parseChoice("draft:welcome")).toEqual({ what: "draft", key: "welcome", version: null });
    expect(parseChoice("published:web-welcome")).toEqual({ what: "published", key: "web-welcome", version: null });
    expect(parseChoice("version:web-welcome:12")).toEqual({ what: "version", key: "web-welcome", version: 12 });
  });

  it("opens each from its API route", () => {
    expect(choicePath(parseChoice("new:"))).toBeNull();
    expect(choicePath(parseChoice("draft:a_b"))).toBe("/workflows/a_b/draft");
    expect(choicePath(parseChoice("published:a"))).toBe("/workflows/a");
    expect(choicePath(parseChoice("version:a:2"))).toBe("/workflows/a/versions/2");
  });

  it("marks the latest version", () => {
    expect(versionLabel(3, [1, 2, 3])).toBe("v3 (latest)");
    expect(versionLabel(1, [1, 2, 3])).toBe("v1");
  });
});
