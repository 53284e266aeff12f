import { describe, expect, it } from "vitest";
import { isIP } from "node:net";
import {
  AtlasError,
  StreamEvents,
  SubscriptionParams,
  ajv,
  isIPv4Mapped,
  parseIpPrefix,
  parseSubscription,
  readIpAddress,
  subscriptionFromQuery,
} from "../src/index.js";

describe("StreamEvents", () => {
  it("uses the RIPE Atlas event names", () => {
    expect(Object.values(StreamEvents).sort()).toEqual([
      "atlas_alert",
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
    ["unknown stream type", { streamType: "results" }, "streamType", "streamType: must be one of result, probestatus, metadata, alert"],
    ["alert stream without msm", { streamType: "alert" }, "msm", "msm: is required for alert streams"],
    ["alert stream with a result filter", { streamType: "alert", msm: 1, type: "ping" }, "type", "type: does not apply to alert streams"],
    ["alert stream with lookback 0", { streamType: "alert", msm: 1, lookback: 0 }, "lookback", "lookback: must be >= 1"],
    ["alert stream with loss over 100", { streamType: "alert", msm: 1, max_packet_loss: 101 }, "max_packet_loss", "max_packet_loss: must be <= 100"],
    ["status-check parameter on a result stream", { streamType: "result", show_all: true }, "show_all", "show_all: applies to alert streams only"],
    ["zero msm", { streamType: "result", msm: 0 }, "msm", "msm: must be a positive integer"],
    ["negative msm", { streamType: "result", msm: -4 }, "msm", "msm: must be a positive integer"],
    ["fractional msm", { streamType: "result", msm: 1.5 }, "msm", "msm: must be a positive integer"],
    ["non-digit msm", { streamType: "result", msm: "10a" }, "msm", "msm: must be a positive integer"],
    ["leading zero msm", { streamType: "result", msm: "0" }, "msm", "msm: must be a positive integer"],
    ["bad prb", { streamType: "result", prb: "x" }, "prb", "prb: must be a positive integer"],
    // Ids are int4 in storage: a larger one must be refused here, not by Postgres.
    ["msm beyond int4", { streamType: "result", msm: 2147483648 }, "msm", "msm: must be at most 2147483647"],
    ["huge msm", { streamType: "result", msm: 1e308 }, "msm", "msm: must be at most 2147483647"],
    ["prb text beyond int4", { streamType: "probestatus", prb: "99999999999999999999" }, "prb", "prb: must be at most 2147483647"],
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
      { streamType: "result", msm: 2147483647, prb: "2147483647" },
      { streamType: "result", msm: 2147483648 },
      { streamType: "result", prb: "2147483648" },
      { streamType: "result", type: "mtr" },
      { streamType: "nope" },
      { streamType: "result", buffering: "true" },
      { streamType: "result", buffering: "yes" },
      { streamType: "probestatus", enrichProbes: "false" },
      { streamType: "result", sourceAddress: "2001:db8::1", destinationPrefix: "193.0.0.0/16" },
      { streamType: "result", passThroughHost: "192.0.2.300" },
      { streamType: "result", passThroughPrefix: "10.0.0.0" },
      { streamType: "result", equalsTo: { min: 1, type: "ping", ok: true } },
      { streamType: "result", greaterThan: { min: "1" } },
      { streamType: "result", lessThan: {} },
      { streamType: "result", lessThan: { "result.0.rtt": 1 } },
      { streamType: "result", startTime: "1409132240", stopTime: 1409137200, speed: "2.5" },
      { streamType: "result", startTime: -1 },
      { streamType: "result", resumeFrom: "42", client: "x" },
      { streamType: "result", resumeFrom: 42 },
    ];
    for (const input of inputs) expect(validateParams(input)).toBe(parseSubscription(input).ok);
  });

  it("describes the errors parseSubscription returns", () => {
    const outcome = parseSubscription({ streamType: "result", msm: "x" });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(validateError(outcome.error)).toBe(true);
  });
});

type Params = Record<string, unknown>;

/** The normalized subscription, failing the test with the error when the input is refused. */
function accepted(input: Params) {
  const outcome = parseSubscription(input);
  if (!outcome.ok) throw new Error(`refused: ${outcome.error.message}`);
  return outcome.value;
}

/** The error for a refused input; the test fails when the input is accepted. */
function refusal(input: Params): AtlasError {
  const outcome = parseSubscription(input);
  if (outcome.ok) throw new Error(`accepted: ${JSON.stringify(input)}`);
  return outcome.error;
}

describe("address parameters", () => {
  const keys = ["sourceAddress", "destinationAddress", "passThroughHost"] as const;

  it.each(keys)("%s takes an IPv4 or IPv6 address in canonical text", (key) => {
    for (const [given, canonical] of [
      ["193.0.6.139", "193.0.6.139"],
      ["2001:67c:2e8:13:fad1:11ff:fea9:dd68", "2001:67c:2e8:13:fad1:11ff:fea9:dd68"],
      ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["::", "::"],
      ["::FFFF:C000:0201", "::ffff:192.0.2.1"],
      ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ]) {
      expect(accepted({ streamType: "result", [key]: given })[key]).toBe(canonical);
    }
  });

  it.each(keys)("%s refuses what is not one address, naming the parameter", (key) => {
    for (const bad of [
      "192.0.2.256",
      "192.0.2",
      "01.2.3.4",
      "2001:db8::1::2",
      "2001:db8:1:2:3:4:5:6:7",
      "fe80::1%eth0",
      "example.org",
      "",
      "192.0.2.0/24",
      3232235777,
      ["192.0.2.1"],
      true,
    ]) {
      expect(refusal({ streamType: "result", [key]: bad })).toEqual({
        message: `${key}: must be an IPv4 or IPv6 address`,
        parameter: key,
      });
    }
  });
});

describe("prefix parameters", () => {
  const keys = ["sourcePrefix", "destinationPrefix", "passThroughPrefix"] as const;

  it.each(keys)("%s takes an IPv4 or IPv6 CIDR, host bits cleared", (key) => {
    for (const [given, canonical] of [
      ["193.0.0.0/21", "193.0.0.0/21"],
      ["10.1.2.3/8", "10.0.0.0/8"],
      ["192.0.2.1/32", "192.0.2.1/32"],
      ["0.0.0.0/0", "0.0.0.0/0"],
      ["2001:67C:2E8::/48", "2001:67c:2e8::/48"],
      ["2001:db8:ffff::1/33", "2001:db8:8000::/33"],
      ["2001:db8::1/128", "2001:db8::1/128"],
      ["::/0", "::/0"],
      ["::ffff:10.9.8.7/104", "::ffff:10.0.0.0/104"],
    ]) {
      expect(accepted({ streamType: "result", [key]: given })[key]).toBe(canonical);
    }
  });

  it.each(keys)("%s refuses bad prefixes, naming the parameter", (key) => {
    for (const bad of [
      "10.0.0.0/33",
      "2001:db8::/129",
      "10.0.0.0",
      "10.0.0.0/",
      "10.0.0.0/08",
      "10.0.0.0/-1",
      "10.0.0.0/8/8",
      "/8",
      "10.0.0/8",
      "fe80::%eth0/64",
      "example.org/8",
      24,
    ]) {
      const error = refusal({ streamType: "result", [key]: bad });
      expect(error.parameter).toBe(key);
      expect(error.message).toMatch(new RegExp(`^${key}: must be a CIDR prefix`));
    }
  });
});

describe("enrichProbes", () => {
  it("is a boolean (or its text) on probestatus streams", () => {
    expect(accepted({ streamType: "probestatus", enrichProbes: true }).enrichProbes).toBe(true);
    expect(accepted({ streamType: "probestatus", enrichProbes: "true" }).enrichProbes).toBe(true);
    expect(accepted({ streamType: "probestatus", enrichProbes: false }).enrichProbes).toBe(false);
    expect(accepted({ streamType: "probestatus", enrichProbes: "false" }).enrichProbes).toBe(false);
    expect(accepted({ streamType: "probestatus" })).not.toHaveProperty("enrichProbes");
  });

  it("is refused on other stream types and in other forms", () => {
    for (const streamType of ["result", "metadata"]) {
      expect(refusal({ streamType, enrichProbes: true })).toEqual({
        message: "enrichProbes: applies to probestatus streams only",
        parameter: "enrichProbes",
      });
    }
    for (const bad of ["yes", 1, "TRUE", null]) {
      expect(refusal({ streamType: "probestatus", enrichProbes: bad })).toEqual({
        message: "enrichProbes: must be a boolean",
        parameter: "enrichProbes",
      });
    }
  });
});

describe("buffering and sendBacklog", () => {
  it.each(["buffering", "sendBacklog"])("%s takes a boolean or its text", (key) => {
    expect(accepted({ streamType: "result", [key]: "true" })[key as "buffering"]).toBe(true);
    expect(accepted({ streamType: "result", [key]: "false" })[key as "buffering"]).toBe(false);
    expect(refusal({ streamType: "result", [key]: "1" })).toEqual({ message: `${key}: must be a boolean`, parameter: key });
  });
});

describe("sendPositions", () => {
  it("is absent unless asked for, and takes a boolean or its text", () => {
    expect(accepted({ streamType: "result" })).not.toHaveProperty("sendPositions");
    expect(accepted({ streamType: "result", sendPositions: true }).sendPositions).toBe(true);
    expect(accepted({ streamType: "result", sendPositions: "false" }).sendPositions).toBe(false);
    expect(refusal({ streamType: "result", sendPositions: 1 })).toEqual({ message: "sendPositions: must be a boolean", parameter: "sendPositions" });
  });

  it("applies to result streams only", () => {
    expect(refusal({ streamType: "probestatus", sendPositions: true })).toEqual({
      message: "sendPositions: applies to result streams only",
      parameter: "sendPositions",
    });
  });
});

describe("value filters", () => {
  it("take objects of field paths to values", () => {
    expect(
      accepted({
        streamType: "result",
        equalsTo: { type: "ping", af: 4, "result.rcode": 0, is_tls: true },
        greaterThan: { min: 20 },
        lessThan: { max: 100.5, "ttr.total": -1.5 },
      }).valueFilters,
    ).toEqual({
      equalsTo: { type: "ping", af: 4, "result.rcode": 0, is_tls: true },
      greaterThan: { min: 20 },
      lessThan: { max: 100.5, "ttr.total": -1.5 },
    });
  });

  it("hold only the filters given, and are absent without any", () => {
    expect(accepted({ streamType: "result", greaterThan: { min: 20 } }).valueFilters).toEqual({ greaterThan: { min: 20 } });
    expect(accepted({ streamType: "result" })).not.toHaveProperty("valueFilters");
  });

  it("take JSON text, as the query-string transport sends them", () => {
    expect(
      accepted({
        streamType: "result",
        equalsTo: '{"dst_addr":"62.2.16.12","fw":0}',
        greaterThan: '{"min":20}',
        lessThan: '{"avg": 30.5}',
      }).valueFilters,
    ).toEqual({ equalsTo: { dst_addr: "62.2.16.12", fw: 0 }, greaterThan: { min: 20 }, lessThan: { avg: 30.5 } });
  });

  it("list fields in sorted order, so equal filters serialise alike", () => {
    const one = accepted({ streamType: "result", lessThan: { max: 1, avg: 2, "a.b": 3 } });
    const other = accepted({ streamType: "result", lessThan: '{"a.b": 3, "avg": 2, "max": 1}' });
    expect(Object.keys(one.valueFilters?.lessThan ?? {})).toEqual(["a.b", "avg", "max"]);
    expect(JSON.stringify(one)).toBe(JSON.stringify(other));
  });

  it("keep a field named __proto__ a plain field", () => {
    const equalsTo = accepted({ streamType: "result", equalsTo: '{"__proto__": 1}' }).valueFilters?.equalsTo;
    expect(Object.getPrototypeOf(equalsTo)).toBe(Object.prototype);
    expect(Object.hasOwn(equalsTo ?? {}, "__proto__")).toBe(true);
  });

  const shapeErrors: Array<[unknown, string]> = [
    [{}, "must name at least one field"],
    ["{}", "must name at least one field"],
    ["min>20", "is not valid JSON"],
    ["", "is not valid JSON"],
    [[], "must be an object of field: value"],
    ["[1]", "must be an object of field: value"],
    [null, "must be an object of field: value"],
    [20, "must be an object of field: value"],
    [{ "result.0.rtt": 1 }, '"result.0.rtt" is not a field name or a dotted path into objects'],
    [{ "": 1 }, '"" is not a field name or a dotted path into objects'],
    [{ "a..b": 1 }, '"a..b" is not a field name or a dotted path into objects'],
    [{ "min ": 1 }, '"min " is not a field name or a dotted path into objects'],
  ];

  it.each(["equalsTo", "greaterThan", "lessThan"])("%s refuses bad shapes, naming the parameter", (key) => {
    for (const [bad, reason] of shapeErrors) {
      expect(refusal({ streamType: "result", [key]: bad })).toEqual({ message: `${key}: ${reason}`, parameter: key });
    }
  });

  it("refuse values of the wrong kind, naming the parameter", () => {
    for (const bad of [null, {}, [1], '{"x": null}']) {
      const equalsTo = typeof bad === "string" ? bad : { x: bad };
      expect(refusal({ streamType: "result", equalsTo })).toEqual({
        message: 'equalsTo: the value of "x" must be a string, number or boolean',
        parameter: "equalsTo",
      });
    }
    for (const key of ["greaterThan", "lessThan"]) {
      for (const bad of ["20", true, null, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(refusal({ streamType: "result", [key]: { min: bad } })).toEqual({
          message: `${key}: the value of "min" must be a number`,
          parameter: key,
        });
      }
    }
  });
});

describe("history replay", () => {
  it("takes startTime, endTime and speed as a public client sends them", () => {
    expect(accepted({ streamType: "result", msm: 1001, startTime: 1409132240, endTime: 1409137200, speed: 5 })).toEqual({
      streamType: "result",
      msm: 1001,
      buffering: false,
      sendBacklog: false,
      startTime: 1409132240,
      endTime: 1409137200,
      speed: 5,
    });
  });

  it("accepts stopTime for endTime, digit strings, an empty span and speed 0", () => {
    expect(accepted({ streamType: "result", startTime: "1409132240", stopTime: "1409137200", speed: "0.5" })).toMatchObject({
      startTime: 1409132240,
      endTime: 1409137200,
      speed: 0.5,
    });
    expect(accepted({ streamType: "result", startTime: 0, endTime: 0, speed: 0 })).toMatchObject({
      startTime: 0,
      endTime: 0,
      speed: 0,
    });
    expect(accepted({ streamType: "result", startTime: 100, stopTime: 100 })).not.toHaveProperty("stopTime");
  });

  it("defaults speed to 1 with startTime, and leaves all out without it", () => {
    expect(accepted({ streamType: "result", startTime: 1409132240 })).toMatchObject({ startTime: 1409132240, speed: 1 });
    const live = accepted({ streamType: "result" });
    for (const key of ["startTime", "endTime", "speed", "resumeFrom"]) expect(live).not.toHaveProperty(key);
  });

  it.each([
    ["negative startTime", { startTime: -1 }, "startTime", "must be Unix seconds, an integer >= 0"],
    ["fractional startTime", { startTime: 1.5 }, "startTime", "must be Unix seconds, an integer >= 0"],
    ["non-digit startTime", { startTime: "12a" }, "startTime", "must be Unix seconds, an integer >= 0"],
    ["signed startTime text", { startTime: "-5" }, "startTime", "must be Unix seconds, an integer >= 0"],
    ["empty startTime", { startTime: "" }, "startTime", "must be Unix seconds, an integer >= 0"],
    ["bad endTime", { startTime: 1, endTime: "soon" }, "endTime", "must be Unix seconds, an integer >= 0"],
    ["bad stopTime", { startTime: 1, stopTime: 2.5 }, "stopTime", "must be Unix seconds, an integer >= 0"],
    ["endTime and stopTime", { startTime: 1, endTime: 5, stopTime: 5 }, "endTime", "give only one of endTime and stopTime"],
    ["endTime alone", { endTime: 5 }, "endTime", "needs startTime"],
    ["stopTime alone", { stopTime: 5 }, "stopTime", "needs startTime"],
    ["endTime before startTime", { startTime: 10, endTime: 9 }, "endTime", "must not be before startTime"],
    ["stopTime before startTime", { startTime: "10", stopTime: "9" }, "stopTime", "must not be before startTime"],
    ["speed alone", { speed: 5 }, "speed", "needs startTime"],
    ["negative speed", { startTime: 1, speed: -1 }, "speed", "must be a number >= 0"],
    ["infinite speed", { startTime: 1, speed: Number.POSITIVE_INFINITY }, "speed", "must be a number >= 0"],
    ["speed text", { startTime: 1, speed: "fast" }, "speed", "must be a number >= 0"],
    ["speed with exponent", { startTime: 1, speed: "1e3" }, "speed", "must be a number >= 0"],
  ])("refuses %s, naming the parameter", (_name, extra, parameter, reason) => {
    expect(refusal({ streamType: "result", ...extra })).toEqual({ message: `${parameter}: ${reason}`, parameter });
  });
});

describe("resumeFrom", () => {
  it("keeps a stream position as its digit string", () => {
    expect(accepted({ streamType: "result", resumeFrom: "18446744073709551615" }).resumeFrom).toBe("18446744073709551615");
    expect(accepted({ streamType: "result", resumeFrom: "0" }).resumeFrom).toBe("0");
  });

  it("refuses other forms and a combination with startTime", () => {
    for (const bad of [123, "", "12a", "-1", "1".repeat(41)]) {
      expect(refusal({ streamType: "result", resumeFrom: bad })).toEqual({
        message: "resumeFrom: must be a stream position, a string of digits",
        parameter: "resumeFrom",
      });
    }
    expect(refusal({ streamType: "result", resumeFrom: "42", startTime: 1 })).toEqual({
      message: "resumeFrom: cannot be combined with startTime",
      parameter: "resumeFrom",
    });
  });
});

describe("client", () => {
  it("is accepted and dropped", () => {
    expect(accepted({ streamType: "result", client: "cousteau-1.4" })).toEqual({
      streamType: "result",
      buffering: false,
      sendBacklog: false,
    });
  });

  it("must be a string", () => {
    expect(refusal({ streamType: "result", client: 7 })).toEqual({ message: "client: must be a string", parameter: "client" });
  });
});

describe("a query string's parameters", () => {
  it("normalise like their JSON counterparts", () => {
    const fromQuery = Object.fromEntries(
      new URLSearchParams(
        "streamType=result&msm=1001&prb=6000&type=ping&sourcePrefix=193.0.0.0/16&destinationAddress=62.2.16.12" +
          '&greaterThan={"min":20}&buffering=true&sendBacklog=false&startTime=1409132240&stopTime=1409137200&speed=5&client=cli',
      ),
    );
    expect(accepted(fromQuery)).toEqual(
      accepted({
        streamType: "result",
        msm: 1001,
        prb: 6000,
        type: "ping",
        sourcePrefix: "193.0.0.0/16",
        destinationAddress: "62.2.16.12",
        greaterThan: { min: 20 },
        buffering: true,
        sendBacklog: false,
        startTime: 1409132240,
        endTime: 1409137200,
        speed: 5,
      }),
    );
  });

  it("convert to the types of the schema, for an echo as a socket client would send it", () => {
    const query = Object.fromEntries(
      new URLSearchParams(
        'streamType=result&msm=1001&buffering=true&sendBacklog=false&startTime=1409132240&speed=2.5&resumeFrom=42&client=cli&equalsTo={"af":4}&sourceAddress=10.0.0.1',
      ),
    );
    expect(subscriptionFromQuery(query)).toStrictEqual({
      streamType: "result",
      msm: 1001,
      buffering: true,
      sendBacklog: false,
      startTime: 1409132240,
      speed: 2.5,
      resumeFrom: "42",
      client: "cli",
      equalsTo: { af: 4 },
      sourceAddress: "10.0.0.1",
    });
  });

  it("keep values that read as no type of their schema as text, and unknown keys as they are", () => {
    expect(subscriptionFromQuery({ msm: "abc", buffering: "1", greaterThan: "{min", colour: "red", prb: ["1", "2"] })).toStrictEqual({
      msm: "abc",
      buffering: "1",
      greaterThan: "{min",
      colour: "red",
      prb: ["1", "2"],
    });
    expect(refusal(subscriptionFromQuery({ streamType: "result", msm: "abc" })).parameter).toBe("msm");
  });

  it("give msm and prb as single values only", () => {
    expect(refusal({ streamType: "result", msm: [1001, 1002] }).parameter).toBe("msm");
    expect(refusal({ streamType: "result", prb: "1,2" }).parameter).toBe("prb");
  });
});

describe("readIpAddress", () => {
  const words = new Uint32Array(4);

  it("agrees with node:net on what is an address (zones aside)", () => {
    const samples = [
      "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.4 ",
      "::", "::1", "1::", ":1::", "1:::2", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
      "1::3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9", "12345::", "g::", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
      "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::01.2.3.4", "1.2.3.4::", "", ":", "2001:DB8::A",
    ];
    for (const sample of samples) expect([sample, readIpAddress(sample, words)]).toEqual([sample, isIP(sample)]);
  });

  it("holds IPv4 IPv4-mapped, so both spellings read the same", () => {
    expect(readIpAddress("192.0.2.1", words)).toBe(4);
    expect([...words]).toEqual([0, 0, 0xffff, 0xc0000201]);
    expect(isIPv4Mapped(words)).toBe(true);
    expect(readIpAddress("::ffff:c000:201", words)).toBe(6);
    expect([...words]).toEqual([0, 0, 0xffff, 0xc0000201]);
    expect(readIpAddress("2001:db8::ffff:1", words)).toBe(6);
    expect([...words]).toEqual([0x20010db8, 0, 0, 0xffff0001]);
    expect(isIPv4Mapped(words)).toBe(false);
  });
});

describe("parseIpPrefix", () => {
  it("gives the network and mask in the 128-bit space", () => {
    expect(parseIpPrefix("193.0.3.4/20")).toEqual({
      family: 4,
      length: 20,
      network: Uint32Array.from([0, 0, 0xffff, 0xc1000000]),
      mask: Uint32Array.from([0xffffffff, 0xffffffff, 0xffffffff, 0xfffff000]),
      text: "193.0.0.0/20",
    });
    expect(parseIpPrefix("2001:67c:2e8::/47")).toMatchObject({
      family: 6,
      length: 47,
      network: Uint32Array.from([0x2001067c, 0x02e80000, 0, 0]),
      mask: Uint32Array.from([0xffffffff, 0xfffe0000, 0, 0]),
    });
    expect(parseIpPrefix("::/0")?.mask).toEqual(new Uint32Array(4));
  });
});
