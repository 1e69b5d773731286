import { describe, expect, it } from "vitest";
import { scoreText, storedScore } from "./ContactScore";

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
});
