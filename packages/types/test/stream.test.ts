import { describe, expect, it } from "vitest";
import { AtlasError, StreamEvents, SubscriptionParams, ajv, parseSubscription } from "../src/index.js";

describe("StreamEvents", () => {
  it("uses the RIPE Atlas event names", () => {
    expect(Object.values(StreamEvents).sort()).toEqual([
      "atlas_backlog_sent",
      "atlas_error",
      "atlas_metadata",
      "atlas_probestatus",
      "atlas_replay_finished",
      "atlas_result",
      "atlas_subscribe",
      "atlas_subscribed",
      "atlas_unsubscribe",
      "atlas_unsubscribed",
    ]);
  });
});

describe("parseSubscription", () => {
  it("accepts both spellings of the stream type", () => {
    const expected = { streamType: "result", msm: 1001, buffering: false, sendBacklog: false };
    expect(parseSubscription({ stream_type: "result", msm: 1001 })).toEqual({ ok: true, value: expected });
    expect(parseSubscription({ streamType: "result", msm: 1001 })).toEqual({ ok: true, value: expected });
  });

  it("normalises digit strings to numbers and keeps every parameter", () => {
    expect(
      parseSubscription({
        streamType: "result",
        msm: "1001",
        prb: "6000",
        type: "ping",
        buffering: true,
        sendBacklog: true,
      }),
    ).toEqual({
      ok: true,
      value: { streamType: "result", msm: 1001, prb: 6000, type: "ping", buffering: true, sendBacklog: true },
    });
  });

  it("accepts probestatus and metadata streams without filters", () => {
    expect(parseSubscription({ stream_type: "probestatus" })).toMatchObject({
      ok: true,
      value: { streamType: "probestatus" },
    });
    expect(parseSubscription({ streamType: "metadata" })).toMatchObject({ ok: true, value: { streamType: "metadata" } });
  });

  it.each([
    ["no stream type", { msm: 1 }, "stream_type", "stream_type is required"],
    ["both spellings", { stream_type: "result", streamType: "result" }, "streamType", undefined],
    ["unknown stream type", { streamType: "results" }, "streamType", "streamType: must be one of result, probestatus, metadata"],
    ["zero msm", { streamType: "result", msm: 0 }, "msm", "msm: must be a positive integer"],
    ["negative msm", { streamType: "result", msm: -4 }, "msm", "msm: must be a positive integer"],
    ["fractional msm", { streamType: "result", msm: 1.5 }, "msm", "msm: must be a positive integer"],
    ["non-digit msm", { streamType: "result", msm: "10a" }, "msm", "msm: must be a positive integer"],
    ["leading zero msm", { streamType: "result", msm: "0" }, "msm", "msm: must be a positive integer"],
    ["bad prb", { streamType: "result", prb: "x" }, "prb", "prb: must be a positive integer"],
    ["bad type", { streamType: "result", type: "mtr" }, "type", undefined],
    ["string buffering", { streamType: "result", buffering: "yes" }, "buffering", "buffering: must be a boolean"],
    ["bad sendBacklog", { streamType: "result", sendBacklog: 1 }, "sendBacklog", "sendBacklog: must be a boolean"],
    ["typo", { streamType: "result", msn: 1001 }, "msn", 'unknown parameter "msn"'],
  ])("rejects %s naming the parameter", (_name, input, parameter, message) => {
    const outcome = parseSubscription(input);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.parameter).toBe(parameter);
    expect(outcome.error.message).toContain(parameter);
    if (message !== undefined) expect(outcome.error.message).toBe(message);
  });

  it("rejects input that is not an object", () => {
    for (const input of [null, undefined, "result", 5, [{ streamType: "result" }]]) {
      expect(parseSubscription(input).ok).toBe(false);
    }
  });
});

describe("SubscriptionParams schema", () => {
  const validateParams = ajv.compile(SubscriptionParams);
  const validateError = ajv.compile(AtlasError);

  it("agrees with parseSubscription on the shape of parameters", () => {
    const inputs: Record<string, unknown>[] = [
      { stream_type: "result", msm: "1001", type: "dns", buffering: true },
      { streamType: "probestatus", prb: 12, sendBacklog: false },
      { streamType: "result", msn: 1 },
      { streamType: "result", msm: 0 },
      { streamType: "result", msm: "01" },
      { streamType: "result", type: "mtr" },
      { streamType: "nope" },
      { streamType: "result", buffering: "true" },
    ];
    for (const input of inputs) expect(validateParams(input)).toBe(parseSubscription(input).ok);
  });

  it("describes the errors parseSubscription returns", () => {
    const outcome = parseSubscription({ streamType: "result", msm: "x" });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(validateError(outcome.error)).toBe(true);
  });
});
