import { describe, expect, it } from "vitest";
import { joinJsonBytes } from "../src/json-bytes.js";

describe("joinJsonBytes", () => {
  it("is the UTF-8 of the joined text, for any parts, separator, head and tail", () => {
    const parts = ['{"a":1}', '{"name":"Pïng ✓ 𝄞"}', "{}", "x".repeat(200_000)];
    expect(joinJsonBytes(parts, ",", "[", "]").toString("utf8")).toBe(`[${parts.join(",")}]`);
    expect(joinJsonBytes(parts, "\n", "", "\n").equals(Buffer.from(`${parts.join("\n")}\n`))).toBe(true);
    expect(joinJsonBytes([], ",", "[", "]").toString()).toBe("[]");
    expect(joinJsonBytes(['{"é":1}'], ",").toString()).toBe('{"é":1}');
  });
});
