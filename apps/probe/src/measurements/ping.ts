import {
  NameResolutionError,
  commonFields,
  intOption,
  requireTarget,
  resolveTarget,
  roundMs,
  sourceAddressFor,
  type MeasurementContext,
  type MeasurementDefinition,
  type ResultObject,
} from "./common.js";
import { runCommand } from "../run-command.js";

const PING_PATH = process.env.PROBE_PING_PATH ?? "/usr/bin/ping";

interface EchoReply {
  seq: number;
  from: string;
  ttl: number;
  rtt: number;
  dup: boolean;
}

// iputils: "56 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.542 ms" and " (DUP!)" for duplicates.
const REPLY = /^\d+ bytes from (\S+?):? icmp_seq=(\d+) ttl=(\d+) time=([\d.]+) ms(.*)$/;
const SUMMARY = /(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?/;

/** Ping with the system `ping` (iputils, setuid or cap_net_raw), as RIPE Atlas probes do. */
export async function run(definition: MeasurementDefinition, ctx: MeasurementContext): Promise<ResultObject> {
  const started = Date.now();
  const target = requireTarget(definition);
  const packets = intOption(definition.packets, 3, 1, 16);
  const size = intOption(definition.size, 48, 0, 2048);
  const intervalMs = intOption(definition.packet_interval, 1000, 200, 30_000);
  const timeoutMs = intOption(definition.timeout, 1000, 100, 60_000);
  const base = { proto: "ICMP", size, step: ctx.interval };

  let resolved;
  try {
    resolved = await resolveTarget(target, definition.af);
  } catch (err) {
    if (!(err instanceof NameResolutionError)) throw err;
    return { ...commonFields("ping", ctx, started, { af: definition.af ?? 4, name: target }), ...base, dnserr: err.message };
  }
  const srcAddr = await sourceAddressFor(resolved.addr, resolved.af);
  const fields = { ...commonFields("ping", ctx, started, { ...resolved, srcAddr }), ...base };

  // -w bounds the whole run: the last packet leaves after (packets-1) intervals, then waits its timeout.
  const deadlineS = Math.ceil(((packets - 1) * intervalMs + timeoutMs) / 1000) + 1;
  const args = [
    "-n",
    `-${resolved.af}`,
    "-c", String(packets),
    "-i", (intervalMs / 1000).toFixed(3),
    "-s", String(size),
    "-W", (timeoutMs / 1000).toFixed(3),
    "-w", String(deadlineS),
    resolved.addr,
  ];
  const output = await runCommand(PING_PATH, args, (deadlineS + 5) * 1000);
  const replies = output.stdout.split("\n").flatMap(parseReply);
  if (output.code === 2 && replies.length === 0) {
    return { ...fields, sent: 0, rcvd: 0, dup: 0, min: -1, avg: -1, max: -1, result: [{ error: firstLine(output.stderr) }] };
  }
  const summary = SUMMARY.exec(output.stdout);
  const sent = summary ? Number(summary[1]) : packets;
  return { ...fields, ...summarise(replies, sent, resolved.addr) };
}

function parseReply(line: string): EchoReply[] {
  const match = REPLY.exec(line.trim());
  if (!match) return [];
  return [
    {
      from: match[1]!,
      seq: Number(match[2]),
      ttl: Number(match[3]),
      rtt: Number(match[4]),
      dup: match[5]!.includes("DUP!"),
    },
  ];
}

/** RIPE's per-packet list: one slot per packet sent in order (`{"x": "*"}` if lost), duplicates after their original. */
function summarise(replies: EchoReply[], sent: number, dstAddr: string): ResultObject {
  const firstTtl = replies[0]?.ttl;
  const entries: ResultObject[] = [];
  for (let seq = 1; seq <= sent; seq++) {
    const forSeq = replies.filter((reply) => reply.seq === seq);
    if (forSeq.length === 0) entries.push({ x: "*" });
    for (const reply of forSeq) {
      const entry: ResultObject = { rtt: reply.rtt };
      if (reply.ttl !== firstTtl) entry.ttl = reply.ttl;
      if (reply.from !== dstAddr) entry.srcaddr = reply.from;
      if (reply.dup) entry.dup = 1;
      entries.push(entry);
    }
  }
  const rtts = replies.filter((reply) => !reply.dup).map((reply) => reply.rtt);
  const received = rtts.length;
  const stats =
    received === 0
      ? { min: -1, avg: -1, max: -1 }
      : {
          min: Math.min(...rtts),
          avg: roundMs(rtts.reduce((a, b) => a + b, 0) / received),
          max: Math.max(...rtts),
        };
  const result: ResultObject = {
    sent,
    rcvd: received,
    dup: replies.length - received,
    ...stats,
    result: entries,
  };
  if (firstTtl !== undefined) result.ttl = firstTtl;
  return result;
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "ping failed";
}
