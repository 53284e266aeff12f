import { isIPv4Mapped, parseIpPrefix, readIpAddress, type NormalizedSubscription } from "@probestream/types";

/** Whether a result passes a subscription's filters. */
export type ResultPredicate = (result: Record<string, unknown>) => boolean;

/** Tests one address found in a result (any value: results may hold "", "*" or nothing). */
type AddressTest = (value: unknown) => boolean;

/** Where a result's address is read into; matching is synchronous, so one buffer serves all. */
const scratch = new Uint32Array(4);

function exactAddress(text: string): AddressTest {
  const target = new Uint32Array(4);
  if (readIpAddress(text, target) === 0) throw new Error(`not an IP address: ${text}`);
  return (value) =>
    typeof value === "string" &&
    readIpAddress(value, scratch) !== 0 &&
    scratch[0] === target[0] &&
    scratch[1] === target[1] &&
    scratch[2] === target[2] &&
    scratch[3] === target[3];
}

function insidePrefix(text: string): AddressTest {
  const prefix = parseIpPrefix(text);
  if (prefix === undefined) throw new Error(`not a CIDR prefix: ${text}`);
  const { network, mask, family, length } = prefix;
  // An IPv6 prefix wider than ::ffff:0:0/96 (such as ::/0, "all of IPv6") holds no IPv4 host.
  const excludesIPv4 = family === 6 && length < 96;
  return (value) =>
    typeof value === "string" &&
    readIpAddress(value, scratch) !== 0 &&
    !(excludesIPv4 && isIPv4Mapped(scratch)) &&
    ((scratch[0]! & mask[0]!) >>> 0) === network[0] &&
    ((scratch[1]! & mask[1]!) >>> 0) === network[1] &&
    ((scratch[2]! & mask[2]!) >>> 0) === network[2] &&
    ((scratch[3]! & mask[3]!) >>> 0) === network[3];
}

/** The tests of an address parameter and its prefix counterpart, those given. */
function addressTests(address: string | undefined, prefix: string | undefined): AddressTest[] {
  const tests: AddressTest[] = [];
  if (address !== undefined) tests.push(exactAddress(address));
  if (prefix !== undefined) tests.push(insidePrefix(prefix));
  return tests;
}

/** Some hop reply of a traceroute (`result[i].result[j].from`) passes the test. */
function passesThrough(result: Record<string, unknown>, test: AddressTest): boolean {
  if (result.type !== "traceroute" || !Array.isArray(result.result)) return false;
  let previous: unknown;
  for (const hop of result.result as unknown[]) {
    const replies = (hop as { result?: unknown } | null)?.result;
    if (!Array.isArray(replies)) continue;
    for (const reply of replies as unknown[]) {
      const from = (reply as { from?: unknown } | null)?.from;
      // Replies to one hop mostly repeat one address: test it once.
      if (from === undefined || from === previous) continue;
      previous = from;
      if (test(from)) return true;
    }
  }
  return false;
}

/**
 * The target: `dst_addr` (`addr` in old firmware). HTTP results keep it per request, inside
 * `result[]`, so there any request to the address counts.
 */
function destinationOf(result: Record<string, unknown>, test: AddressTest): boolean {
  const top = result.dst_addr !== undefined ? result.dst_addr : result.addr;
  if (top !== undefined) return test(top);
  if (result.type !== "http" || !Array.isArray(result.result)) return false;
  return result.result.some((request: unknown) => {
    const r = request as { dst_addr?: unknown; addr?: unknown } | null;
    return test(r?.dst_addr !== undefined ? r.dst_addr : r?.addr);
  });
}

/** The value at a dotted path through nested objects (own keys only), or undefined. */
function valueAt(result: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = result;
  for (const key of path) {
    if (typeof current !== "object" || current === null || Array.isArray(current) || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const NUMERIC_TEXT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** A number, or a number held as a string (firmware 0 sends `"min": "57.876"`); else NaN. */
function numericValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && NUMERIC_TEXT.test(value)) return Number(value);
  return Number.NaN;
}

/**
 * Equality as a subscriber means it: when either side is a number, both compare as numbers
 * (a numeric string on the other side counts); otherwise the values must be identical.
 */
function equalsTest(expected: string | number | boolean): (actual: unknown) => boolean {
  if (typeof expected === "number") return (actual) => numericValue(actual) === expected;
  if (typeof expected === "string" && NUMERIC_TEXT.test(expected)) {
    const asNumber = Number(expected);
    return (actual) => actual === expected || (typeof actual === "number" && actual === asNumber);
  }
  return (actual) => actual === expected;
}

function fieldTest(field: string, holds: (actual: unknown) => boolean): ResultPredicate {
  const path = field.split(".");
  return (result) => holds(valueAt(result, path));
}

/**
 * Compiles the filters of a subscription that the result index does not cover (addresses,
 * prefixes, hops passed through, field values) into one predicate: a result passes when every
 * given filter holds (an address and its prefix counterpart are two filters, and with
 * pass-through each may be met by a different hop). Addresses and prefixes are read once here, so that matching a result
 * costs a few integer compares per address it holds. Returns null when no such filter is given.
 *
 * - source: the result's `from` or `src_addr`; destination: `dst_addr` (`addr` in old firmware
 *   when `dst_addr` is absent; per request for HTTP); pass-through: any hop reply `from` of a traceroute (other result
 *   types never pass). IPv4 matches in both spellings (`192.0.2.1`, `::ffff:192.0.2.1`).
 * - equalsTo / greaterThan / lessThan: the field at each path (`min`, `result.rcode`) equals,
 *   or is a number (or numeric string) strictly greater / less than, the value given.
 */
export function compileResultFilter(sub: NormalizedSubscription): ResultPredicate | null {
  const tests: ResultPredicate[] = [];

  for (const source of addressTests(sub.sourceAddress, sub.sourcePrefix)) {
    tests.push((result) => source(result.from) || source(result.src_addr));
  }
  for (const destination of addressTests(sub.destinationAddress, sub.destinationPrefix)) {
    tests.push((result) => destinationOf(result, destination));
  }
  for (const hop of addressTests(sub.passThroughHost, sub.passThroughPrefix)) {
    tests.push((result) => passesThrough(result, hop));
  }

  const { equalsTo = {}, greaterThan = {}, lessThan = {} } = sub.valueFilters ?? {};
  for (const [field, expected] of Object.entries(equalsTo)) tests.push(fieldTest(field, equalsTest(expected)));
  for (const [field, bound] of Object.entries(greaterThan)) {
    tests.push(fieldTest(field, (actual) => numericValue(actual) > bound));
  }
  for (const [field, bound] of Object.entries(lessThan)) {
    tests.push(fieldTest(field, (actual) => numericValue(actual) < bound));
  }

  if (tests.length === 0) return null;
  if (tests.length === 1) return tests[0]!;
  return (result) => {
    for (const test of tests) if (!test(result)) return false;
    return true;
  };
}
