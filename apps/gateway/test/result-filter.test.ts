import { BlockList, isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { parseSubscription, type NormalizedSubscription } from "@probestream/types";
import { loadFixtures } from "@probestream/testkit";
import { compileResultFilter } from "../src/streaming/result-filter.js";

const fixtures = loadFixtures();

function subscription(params: Record<string, unknown>): NormalizedSubscription {
  const outcome = parseSubscription({ streamType: "result", ...params });
  if (!outcome.ok) throw new Error(outcome.error.message);
  return outcome.value;
}

/** The fixture files (type/name.json) whose result passes the subscription's filter. */
function matching(params: Record<string, unknown>): string[] {
  const filter = compileResultFilter(subscription(params));
  if (filter === null) throw new Error("no filter compiled");
  return fixtures.filter(({ result }) => filter(result)).map(({ file }) => file);
}

function fixture(file: string): Record<string, unknown> {
  const found = fixtures.find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return found.result;
}

function hopAddresses(result: Record<string, unknown>): string[] {
  if (result.type !== "traceroute" || !Array.isArray(result.result)) return [];
  return (result.result as Array<{ result?: Array<{ from?: string }> }>).flatMap((hop) =>
    (hop.result ?? []).flatMap((reply) => (reply.from === undefined ? [] : [reply.from])),
  );
}

/** node:net's own answer, as an independent oracle for IPv4 prefixes and long IPv6 prefixes. */
function oracle(prefix: string): (address: unknown) => boolean {
  const [network, length] = prefix.split("/") as [string, string];
  const family = isIP(network) === 4 ? "ipv4" : "ipv6";
  const list = new BlockList();
  list.addSubnet(network, Number(length), family);
  return (address) =>
    typeof address === "string" && isIP(address) !== 0 && list.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
}

describe("compileResultFilter", () => {
  it("finds an HTTP result's destination in its requests", () => {
    expect(matching({ destinationAddress: "193.0.6.139", type: "http" }).filter((f) => f.startsWith("http/"))).toContain("http/http-004.json");
    expect(matching({ destinationPrefix: "2001:67c:2e8::/48" }).filter((f) => f.startsWith("http/"))).toContain("http/http-005.json");
  });

  it("returns null when only indexed filters (msm, prb, type) or none are given", () => {
    expect(compileResultFilter(subscription({}))).toBeNull();
    expect(compileResultFilter(subscription({ msm: 1001, prb: 6000, type: "ping", buffering: true }))).toBeNull();
    expect(compileResultFilter(subscription({ startTime: 1409132240, sendBacklog: true }))).toBeNull();
  });

  describe("source", () => {
    it("matches the result's from or its src_addr", () => {
      // ping-004, -005 and -007 come from 194.85.27.7 with the private source 192.168.3.8.
      expect(matching({ sourceAddress: "192.168.3.8" })).toEqual(["ping/ping-004.json", "ping/ping-005.json", "ping/ping-007.json"]);
      expect(matching({ sourceAddress: "194.85.27.7" })).toEqual([
        "ping/ping-002.json",
        "ping/ping-004.json",
        "ping/ping-005.json",
        "ping/ping-007.json",
      ]);
      // Firmware 0 has no from: its src_addr still counts.
      expect(matching({ sourceAddress: "78.128.9.202" })).toEqual(["ping/ping-001.json"]);
    });

    it("compares IPv4-mapped and uncompressed IPv6 spellings as the same address", () => {
      expect(matching({ sourceAddress: "::ffff:194.85.27.7" })).toEqual(matching({ sourceAddress: "194.85.27.7" }));
      expect(matching({ sourceAddress: "::ffff:c255:1b07" })).toEqual(matching({ sourceAddress: "194.85.27.7" }));
      expect(matching({ sourceAddress: "2A02:2860:0003:0001:0000:0000:0000:000A" })).toEqual(["dns/dns-009.json"]);
    });

    it.each(["192.168.0.0/16", "10.0.0.0/8", "193.0.0.0/16", "62.194.83.50/32", "2001:67c:2e8::/48", "2a02::/16"])(
      "prefix %s agrees with node:net's BlockList over every fixture",
      (prefix) => {
        const inside = oracle(prefix);
        const expected = fixtures.filter(({ result }) => inside(result.from) || inside(result.src_addr)).map((f) => f.file);
        expect(expected.length).toBeGreaterThan(0);
        expect(matching({ sourcePrefix: prefix })).toEqual(expected);
      },
    );

    it("takes both address and prefix as two filters that must both hold", () => {
      expect(matching({ sourceAddress: "192.168.3.8", sourcePrefix: "194.85.0.0/16" })).toEqual([
        "ping/ping-004.json",
        "ping/ping-005.json",
        "ping/ping-007.json",
      ]);
      expect(matching({ sourceAddress: "192.168.3.8", sourcePrefix: "10.0.0.0/8" })).toEqual([]);
    });
  });

  describe("destination", () => {
    it("matches dst_addr, and addr in old firmware", () => {
      const expected = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `ping/ping-${String(n).padStart(3, "0")}.json`);
      expect(fixture("ping/ping-002.json").dst_addr).toBeUndefined();
      expect(matching({ destinationAddress: "62.2.16.12" })).toEqual(expected);
      expect(matching({ destinationPrefix: "62.2.16.0/27" })).toEqual([
        ...expected,
        ...[11, 12, 13, 14, 15].map((n) => `ping/ping-${String(n).padStart(3, "0")}.json`),
      ]);
    });

    it("matches IPv6 destinations, exact and by prefix", () => {
      expect(matching({ destinationAddress: "2001:67c:e0:0::5" })).toEqual([
        "dns/dns-009.json",
        "dns/dns-012.json",
        "dns/dns-025.json",
        "dns/dns-026.json",
      ]);
      expect(matching({ destinationPrefix: "2001:7fd::/32" })).toEqual(["dns/dns-008.json", "dns/dns-018.json"]);
    });
  });

  describe("family boundaries", () => {
    it("keeps IPv4 results out of ::/0 and IPv6 results out of 0.0.0.0/0", () => {
      // HTTP results are left out: their destinations are per request, and one result may hold both families.
      const v6 = matching({ destinationPrefix: "::/0" }).filter((f) => !f.startsWith("http/"));
      const v4 = matching({ destinationPrefix: "0.0.0.0/0" }).filter((f) => !f.startsWith("http/"));
      expect(v6).toContain("dns/dns-008.json");
      expect(v4).toContain("ping/ping-001.json");
      expect(v6.filter((file) => v4.includes(file))).toEqual([]);
      for (const file of v6) expect(isIP(String(fixture(file).dst_addr ?? fixture(file).addr))).toBe(6);
      for (const file of v4) expect(isIP(String(fixture(file).dst_addr ?? fixture(file).addr))).toBe(4);
    });

    it("finds IPv4 hosts inside ::ffff:0:0/96", () => {
      expect(matching({ destinationPrefix: "::ffff:0:0/96" })).toEqual(matching({ destinationPrefix: "0.0.0.0/0" }));
      expect(matching({ destinationPrefix: "::ffff:62.2.16.0/123" })).toEqual(matching({ destinationPrefix: "62.2.16.0/27" }));
    });
  });

  describe("pass-through", () => {
    it("matches a traceroute through a hop address of the fixture", () => {
      expect(hopAddresses(fixture("traceroute/traceroute-019.json"))).toContain("141.105.161.184");
      expect(matching({ passThroughHost: "141.105.161.184" })).toEqual(["traceroute/traceroute-019.json"]);
      expect(matching({ passThroughHost: "::ffff:141.105.161.184" })).toEqual(["traceroute/traceroute-019.json"]);
      expect(matching({ passThroughPrefix: "141.105.160.0/22" })).toEqual(["traceroute/traceroute-019.json"]);
    });

    it("matches IPv6 hops written in any spelling", () => {
      expect(hopAddresses(fixture("traceroute/traceroute-016.json"))).toContain("2a02:d28:667:1::1");
      expect(matching({ passThroughHost: "2a02:0d28:0667:0001:0000:0000:0000:0001" })).toEqual([
        "traceroute/traceroute-016.json",
      ]);
    });

    it.each(["192.168.0.0/16", "216.66.30.0/24", "2001:6c8::/32", "2a00:1450::/32"])(
      "prefix %s agrees with node:net's BlockList over every hop",
      (prefix) => {
        const inside = oracle(prefix);
        const expected = fixtures.filter(({ result }) => hopAddresses(result).some(inside)).map((f) => f.file);
        expect(expected.length).toBeGreaterThan(0);
        expect(matching({ passThroughPrefix: prefix })).toEqual(expected);
      },
    );

    it("never matches results other than traceroutes", () => {
      // 193.0.0.78 is the from of the ntp samples, 62.2.16.12 the target of the pings.
      expect(matching({ passThroughHost: "193.0.0.78" })).toEqual([]);
      expect(matching({ passThroughHost: "62.2.16.12" })).toEqual([]);
      // Even one shaped like a traceroute: the type decides.
      const filter = compileResultFilter(subscription({ passThroughHost: "141.105.161.184" }));
      const traceroute = fixture("traceroute/traceroute-019.json");
      expect(filter?.(traceroute)).toBe(true);
      expect(filter?.({ ...traceroute, type: "ping" })).toBe(false);
    });

    it("lets host and prefix be met by different hops", () => {
      expect(matching({ passThroughHost: "141.105.161.184", passThroughPrefix: "94.201.50.0/24" })).toEqual([
        "traceroute/traceroute-019.json",
      ]);
      expect(matching({ passThroughHost: "141.105.161.184", passThroughPrefix: "216.66.30.0/24" })).toEqual([]);
    });
  });

  describe("value filters", () => {
    it("compares firmware 0's numeric strings as numbers", () => {
      expect(fixture("ping/ping-001.json").rcvd).toBe("3");
      const received3 = matching({ type: "ping", equalsTo: { rcvd: 3 } });
      expect(received3).toContain("ping/ping-001.json");
      expect(received3).toContain("ping/ping-002.json");
      expect(received3).not.toContain("ping/ping-008.json");
      expect(matching({ greaterThan: { min: 57.8 }, lessThan: { min: 57.9 } })).toEqual(["ping/ping-001.json"]);
    });

    it("matches msm_id held as a number or as a string", () => {
      expect(matching({ equalsTo: { msm_id: 1020235 } })).toEqual(["ntp/ntp-002.json", "ntp/ntp-003.json"]);
      expect(matching({ equalsTo: '{"msm_id":"1020235"}' })).toEqual(["ntp/ntp-002.json", "ntp/ntp-003.json"]);
    });

    it("compares strings and booleans exactly", () => {
      expect(matching({ equalsTo: { dst_addr: "62.2.16.24", type: "ping" } })).toEqual(
        [11, 12, 13, 14, 15].map((n) => `ping/ping-0${n}.json`),
      );
      expect(matching({ equalsTo: { dst_addr: "62.2.16.24 " } })).toEqual([]);
      expect(matching({ equalsTo: { type: 1 } })).toEqual([]);
    });

    it("follows dotted paths into objects", () => {
      expect(fixture("dns/dns-002.json").result).toMatchObject({ ANCOUNT: 1 });
      const answered = matching({ type: "dns", greaterThan: { "result.ANCOUNT": 0 } });
      expect(answered).toContain("dns/dns-002.json");
      for (const file of answered) expect((fixture(file).result as { ANCOUNT: number }).ANCOUNT).toBeGreaterThan(0);
      // ping results hold an array under result: a path does not go into arrays.
      expect(matching({ equalsTo: { "result.length": 3 } })).toEqual([]);
    });

    it("wants the field present and strictly beyond the bound", () => {
      expect(matching({ lessThan: { min: 0 } })).toEqual(["ping/ping-014.json"]);
      const min = Number(fixture("ping/ping-003.json").min);
      expect(matching({ greaterThan: { min }, lessThan: { min: min + 0.001 } })).toEqual([]);
      expect(matching({ greaterThan: { min: min - 0.001 }, lessThan: { min: min + 0.001 } })).toEqual(["ping/ping-003.json"]);
      // Results without min (all but pings) never pass a bound on it.
      expect(matching({ greaterThan: { min: -1e9 } }).every((file) => file.startsWith("ping/"))).toBe(true);
    });
  });

  it("needs every given filter to hold", () => {
    expect(
      matching({
        sourcePrefix: "192.168.0.0/16",
        destinationAddress: "62.2.16.12",
        greaterThan: { min: 90 },
      }),
    ).toEqual(["ping/ping-004.json", "ping/ping-005.json"]);
  });

  it("does not throw on results of unexpected shapes", () => {
    const filter = compileResultFilter(
      subscription({ sourcePrefix: "10.0.0.0/8", passThroughHost: "10.0.0.1", equalsTo: { "a.b": 1 } }),
    );
    for (const result of [
      {},
      { from: 7, src_addr: null, type: "traceroute", result: [null, 5, { result: [null, { from: 3 }] }] },
      { type: "traceroute", result: { from: "10.0.0.1" }, a: null },
      { from: "", src_addr: "*", a: [1] },
    ]) {
      expect(filter?.(result)).toBe(false);
    }
  });
});
