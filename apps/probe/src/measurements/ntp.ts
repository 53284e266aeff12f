import { createSocket } from "node:dgram";
import { performance } from "node:perf_hooks";
import {
  NameResolutionError,
  commonFields,
  describeSocketError,
  intOption,
  requireTarget,
  resolveTarget,
  type AddressFamily,
  type MeasurementContext,
  type MeasurementDefinition,
  type ResultObject,
} from "./common.js";

/** Seconds from the NTP era (1900) to the Unix epoch. */
const NTP_EPOCH_OFFSET = 2_208_988_800;
const LEAP = ["no", "61", "59", "unknown"];
const MODES = ["reserved", "symmetric active", "symmetric passive", "client", "server", "broadcast", "control", "private"];

interface ServerHeader {
  li: string;
  version: number;
  mode: string;
  stratum: number;
  poll: number;
  precision: number;
  "root-delay": number;
  "root-dispersion": number;
  "ref-id": string;
  "ref-ts": number;
}

type PacketOutcome = { header: ServerHeader; entry: ResultObject } | { entry: ResultObject };

/** SNTP queries over UDP (RFC 4330): per packet the four timestamps, offset and round trip. */
export async function run(definition: MeasurementDefinition, ctx: MeasurementContext): Promise<ResultObject> {
  const started = Date.now();
  const target = requireTarget(definition);
  const packets = intOption(definition.packets, 3, 1, 16);
  const timeoutMs = intOption(definition.timeout, 4000, 100, 60_000);
  const port = intOption(definition.port, 123, 1, 65535);

  let resolved;
  try {
    resolved = await resolveTarget(target, definition.af);
  } catch (err) {
    if (!(err instanceof NameResolutionError)) throw err;
    return { ...commonFields("ntp", ctx, started, { af: definition.af ?? 4, name: target }), proto: "UDP", dnserr: err.message };
  }

  const entries: ResultObject[] = [];
  let header: ServerHeader | undefined;
  let srcAddr: string | undefined;
  for (let i = 0; i < packets; i++) {
    const outcome = await exchange(resolved.addr, resolved.af, port, timeoutMs);
    srcAddr ??= outcome.srcAddr;
    entries.push(outcome.entry);
    if ("header" in outcome) header = outcome.header;
  }
  return {
    ...commonFields("ntp", ctx, started, { ...resolved, srcAddr }),
    proto: "UDP",
    ...header,
    result: entries,
  };
}

/** Now as an NTP timestamp (seconds since 1900, sub-millisecond). */
function ntpNow(): number {
  return (performance.timeOrigin + performance.now()) / 1000 + NTP_EPOCH_OFFSET;
}

function readTimestamp(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) + buf.readUInt32BE(offset + 4) / 2 ** 32;
}

function writeTimestamp(buf: Buffer, offset: number, value: number): void {
  const seconds = Math.floor(value);
  buf.writeUInt32BE(seconds >>> 0, offset);
  buf.writeUInt32BE(Math.floor((value - seconds) * 2 ** 32) >>> 0, offset + 4);
}

function exchange(
  addr: string,
  af: AddressFamily,
  port: number,
  timeoutMs: number,
): Promise<PacketOutcome & { srcAddr?: string }> {
  return new Promise((resolve) => {
    const socket = createSocket(af === 6 ? "udp6" : "udp4");
    const request = Buffer.alloc(48);
    request[0] = (0 << 6) | (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    let srcAddr: string | undefined;
    const finish = (outcome: PacketOutcome) => {
      clearTimeout(timer);
      socket.close();
      resolve(srcAddr === undefined ? outcome : { ...outcome, srcAddr });
    };
    const timer = setTimeout(() => finish({ entry: { x: "*" } }), timeoutMs);
    socket.on("error", (err) => finish({ entry: { error: `send failed: ${describeSocketError(err)}` } }));
    socket.on("message", (message) => {
      const final = ntpNow();
      // A reply must echo our transmit time as its origin, or it answers some other request.
      if (message.length < 48 || readTimestamp(message, 24) !== readTimestamp(request, 40)) return;
      finish(parseReply(message, readTimestamp(request, 40), final));
    });
    socket.connect(port, addr, () => {
      srcAddr = socket.address().address;
      writeTimestamp(request, 40, ntpNow());
      socket.send(request);
    });
  });
}

function parseReply(message: Buffer, origin: number, final: number): PacketOutcome {
  const first = message[0]!;
  const stratum = message[1]!;
  const receive = readTimestamp(message, 32);
  const transmit = readTimestamp(message, 40);
  const header: ServerHeader = {
    li: LEAP[first >> 6]!,
    version: (first >> 3) & 7,
    mode: MODES[first & 7]!,
    stratum,
    poll: 2 ** message.readInt8(2),
    precision: 2 ** message.readInt8(3),
    "root-delay": message.readInt32BE(4) / 2 ** 16,
    "root-dispersion": message.readUInt32BE(8) / 2 ** 16,
    "ref-id": refId(message.subarray(12, 16), stratum),
    "ref-ts": readTimestamp(message, 16),
  };
  const entry = {
    "final-ts": final,
    offset: round6(((receive - origin) + (transmit - final)) / 2),
    "origin-ts": origin,
    "receive-ts": receive,
    rtt: round6(final - origin - (transmit - receive)),
    "transmit-ts": transmit,
  };
  return { header, entry };
}

/** Stratum 0 and 1 servers name their reference in ASCII ("GPS"); others give an IPv4 address. */
function refId(bytes: Buffer, stratum: number): string {
  if (stratum <= 1) return bytes.toString("ascii").replace(/\0+$/, "");
  return Array.from(bytes).join(".");
}

function round6(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
