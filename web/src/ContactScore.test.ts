import { describe, expect, it } from "vitest";
import { scoreChangeText, scoreText, storedScore } from "./ContactScore";

describe("a contact's score as the dashboard shows it", () => {
  it("rounds the score and names the band", () => {
    expect(scoreText({ score: 71.6, band: "hot" })).toBe("72 (hot)");
  });

  it("reads the score stored on a contact, and nothing for an unscored one", () => {
    expect(storedScore({ score: 40.2, score_band: "warm" })).toBe("40 (warm)");
    expect(storedScore({ score: 12 })).toBe("12");
    expect(storedScore({ score: "high" })).toBe("");
    expect(storedScore(undefined)).toBe("");
  });

  it("says a recorded change of band as old -> new", () => {
    expect(scoreChangeText({ old: 41.2, new: 71.6, old_band: "warm", new_band: "hot" })).toBe(
      "41 (warm) → 72 (hot)",
    );
    expect(scoreChangeText({ new: 12, new_band: "cold" })).toBe("? → 12 (cold)");
    expect(scoreChangeText(null)).toBe("? → ?");
  });
});
