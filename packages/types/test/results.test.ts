import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RESULT_TYPES, ResultSchemas, ajv, validateResult } from "../src/index.js";

const fixturesDir = new URL("../fixtures/results/", import.meta.url).pathname;

function loadFixtures(): { type: string; file: string; value: Record<string, unknown> }[] {
  return readdirSync(fixturesDir).flatMap((type) =>
    readdirSync(join(fixturesDir, type))
      .filter((file) => file.endsWith(".json"))
      .map((file) => ({
        type,
        file,
        value: JSON.parse(readFileSync(join(fixturesDir, type, file), "utf8")) as Record<string, unknown>,
      })),
  );
}

function fixture(type: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(fixturesDir, type, file), "utf8")) as Record<string, unknown>;
}

const fixtures = loadFixtures();

describe("fixtures", () => {
  it("covers every result type", () => {
    expect(new Set(fixtures.map((f) => f.type))).toEqual(new Set(RESULT_TYPES));
    expect(fixtures.length).toBe(112);
  });

  it.each(fixtures.map((f) => [`${f.type}/${f.file}`, f] as const))("%s validates", (_name, f) => {
    expect(f.value.type).toBe(f.type);
    expect(validateResult(f.value)).toEqual({ ok: true, result: f.value });
  });

  it("does not modify what it validates", () => {
    for (const f of fixtures) {
      const before = JSON.stringify(f.value);
      validateResult(f.value);
      expect(JSON.stringify(f.value)).toBe(before);
    }
  });
});

describe("historic variants", () => {
  it("accepts fw 0 ping with numbers as strings", () => {
    const ping = fixture("ping", "ping-001.json");
    expect(ping.fw).toBe(0);
    expect(typeof ping.avg).toBe("string");
    expect(validateResult(ping).ok).toBe(true);
  });

  it("accepts a string msm_id and rejects a non-digit one", () => {
    const ntp = fixture("ntp", "ntp-002.json");
    expect(typeof ntp.msm_id).toBe("string");
    expect(validateResult(ntp).ok).toBe(true);
    expect(validateResult({ ...ntp, msm_id: "12a" })).toMatchObject({ ok: false, field: "msm_id" });
    expect(validateResult({ ...ntp, msm_id: 0 })).toMatchObject({ ok: false, field: "msm_id" });
  });

  it("accepts fw 1 http with a text result line", () => {
    expect(validateResult(fixture("http", "http-003.json")).ok).toBe(true);
  });

  it("accepts the misspelled sslcert alert description", () => {
    const ssl = fixtures.find((f) => f.type === "sslcert" && f.value.alert !== undefined);
    expect(ssl?.value.alert).toHaveProperty("decription");
    expect(validateResult({ ...ssl?.value, alert: { level: 2, decription: "x" } })).toMatchObject({
      ok: false,
      field: "alert/decription",
    });
  });

  it("accepts dns resultset and traceroute hop errors", () => {
    expect(fixtures.some((f) => f.type === "dns" && Array.isArray(f.value.resultset))).toBe(true);
    const traceroute = fixture("traceroute", "traceroute-013.json");
    expect(validateResult(traceroute).ok).toBe(true);
    expect(validateResult({ ...traceroute, result: [{ hop: 1, error: 3 }] })).toMatchObject({
      ok: false,
      field: "result/0/error",
    });
  });
});

describe("rejections", () => {
  const ping = fixture("ping", "ping-010.json");
  const without = (key: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(ping).filter(([k]) => k !== key));

  it.each([
    ["missing prb_id", without("prb_id"), "prb_id", "is required"],
    ["missing timestamp", without("timestamp"), "timestamp", "is required"],
    ["missing msm_id", without("msm_id"), "msm_id", "is required"],
    ["missing fw", without("fw"), "fw", "is required"],
    ["missing type", without("type"), "type", "is required"],
    ["unknown type", { ...ping, type: "mtr" }, "type", undefined],
    ["af 5", { ...ping, af: 5 }, "af", "must be one of 4, 6"],
    ["negative prb_id", { ...ping, prb_id: -1 }, "prb_id", "must be >= 1"],
    ["fractional timestamp", { ...ping, timestamp: 1.5 }, "timestamp", "must be integer"],
    ["rtt as an object", { ...ping, result: [{ rtt: {} }] }, "result/0/rtt", "must be number"],
    ["lost packet marker", { ...ping, result: [{ x: "?" }] }, "result/0/x", 'must be "*"'],
    ["result as an object", { ...ping, result: { rtt: 1 } }, "result", "must be array"],
  ])("%s", (_name, value, field, message) => {
    const outcome = validateResult(value);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.field).toBe(field);
    if (message !== undefined) expect(outcome.message).toBe(message);
  });

  it("names the container when a type's result has the wrong shape", () => {
    const traceroute = fixture("traceroute", "traceroute-001.json");
    expect(validateResult({ ...traceroute, result: {} })).toMatchObject({ field: "result" });
    const dns = fixture("dns", "dns-002.json");
    expect(validateResult({ ...dns, result: [] })).toMatchObject({ field: "result", message: "must be object" });
    const http = fixture("http", "http-005.json");
    expect(validateResult({ ...http, result: {} })).toMatchObject({
      field: "result",
      message: "must be array or string",
    });
  });

  it("rejects values that are not objects", () => {
    expect(validateResult(null)).toEqual({ ok: false, field: "", message: "must be an object" });
    expect(validateResult([ping])).toMatchObject({ ok: false, field: "" });
    expect(validateResult("ping")).toMatchObject({ ok: false, field: "" });
  });
});

describe("unknown fields", () => {
  it("keeps them at every level", () => {
    const traceroute = fixture("traceroute", "traceroute-001.json");
    const hops = traceroute.result as Record<string, unknown>[];
    const extended = {
      ...traceroute,
      mver: "2.6.2",
      future_field: { nested: true },
      result: hops.map((hop) => ({ ...hop, hop_extra: 1 })),
    };
    const snapshot = structuredClone(extended);
    const outcome = validateResult(extended);
    expect(outcome).toEqual({ ok: true, result: snapshot });
  });

  it("every schema compiles on the shared ajv instance", () => {
    for (const type of RESULT_TYPES) expect(typeof ajv.compile(ResultSchemas[type])).toBe("function");
  });
});
