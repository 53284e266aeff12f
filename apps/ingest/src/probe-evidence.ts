import { isIP } from "node:net";
import { decode } from "dns-packet";
import type { FastifyBaseLogger } from "fastify";
import { recordProbeEvidence, refreshSystemTags, type Pool, type ProbeEvidence } from "@probestream/db";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isPositive = (v: unknown) => typeof v === "number" && v > 0;

/** The address family of a result (or of one of its parts): `af`, else the family of an address it names. */
function familyOf(r: Json): 4 | 6 | null {
  if (r.af === 4 || r.af === 6) return r.af;
  for (const key of ["dst_addr", "addr", "src_addr", "srcaddr"]) {
    const family = typeof r[key] === "string" ? isIP(r[key]) : 0;
    if (family === 4 || family === 6) return family;
  }
  return null;
}

/** Whether a traceroute heard from the network beyond the first hop (the probe's own router). */
function tracerouteReached(r: Json): boolean {
  const hops = Array.isArray(r.result) ? r.result : [];
  return hops.some(
    (hop) =>
      isObject(hop) &&
      Array.isArray(hop.result) &&
      hop.result.some((reply) => isObject(reply) && typeof reply.from === "string" && (Number(hop.hop) > 1 || reply.from === r.dst_addr)),
  );
}

/** The query type a DNS answer correctly resolved (A or AAAA, NOERROR with a record of that type), if any. */
function resolved(answer: unknown): "A" | "AAAA" | null {
  if (!isObject(answer) || typeof answer.abuf !== "string") return null;
  try {
    const packet = decode(Buffer.from(answer.abuf, "base64"));
    // The low four bits of the flags are the RCODE; 0 is NOERROR.
    const asked = packet.questions?.[0]?.type;
    if ((asked !== "A" && asked !== "AAAA") || ((packet.flags ?? 0) & 0xf) !== 0) return null;
    return packet.answers?.some((rr) => rr.type === asked) ? asked : null;
  } catch {
    return null;
  }
}

/**
 * What one result shows about its probe: that it reached the network over IPv4 or IPv6 (a ping
 * answered, a traceroute beyond the first hop, an HTTP response, a TLS certificate, an NTP reply),
 * or that its resolver answers A or AAAA queries correctly. Failures prove nothing about the probe
 * (the target may be down), so only successes count.
 */
export function evidenceOf(r: Json): ProbeEvidence | null {
  const at = Math.min(Number(r.timestamp), Math.floor(Date.now() / 1000));
  const evidence: ProbeEvidence = {};
  const works = (family: 4 | 6 | null) => {
    if (family === 4) evidence.ipv4WorksAt = at;
    if (family === 6) evidence.ipv6WorksAt = at;
  };
  switch (r.type) {
    case "ping":
      if (isPositive(r.rcvd)) works(familyOf(r));
      break;
    case "traceroute":
      if (tracerouteReached(r)) works(familyOf(r));
      break;
    case "http":
      for (const part of Array.isArray(r.result) ? r.result : []) if (isObject(part) && isPositive(part.res)) works(familyOf(part));
      break;
    case "sslcert":
      if (Array.isArray(r.cert) && r.cert.length > 0) works(familyOf(r));
      break;
    case "ntp":
      if (Array.isArray(r.result) && r.result.some((x) => isObject(x) && typeof x.offset === "number")) works(familyOf(r));
      break;
    case "dns": {
      const answers = Array.isArray(r.resultset) ? r.resultset.filter(isObject).map((s) => s.result) : [r.result];
      for (const answer of answers) {
        const type = resolved(answer);
        if (type === "A") evidence.resolvesAAt = at;
        if (type === "AAAA") evidence.resolvesAaaaAt = at;
      }
      break;
    }
  }
  return Object.keys(evidence).length > 0 ? evidence : null;
}

/**
 * Gathers the evidence of committed results in memory and writes it every `flushMs` in one
 * statement, then refreshes those probes' system tags; every `sweepMs` all probes' tags are
 * refreshed so that lapsed evidence removes them. Evidence is derived state: what a crash loses
 * comes back with the next results.
 */
export class ProbeEvidenceRecorder {
  private pending = new Map<number, ProbeEvidence>();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly log: FastifyBaseLogger,
    opts: { flushMs: number; sweepMs: number },
  ) {
    this.timers.push(setInterval(() => void this.flush(), opts.flushMs), setInterval(() => void this.sweep(), opts.sweepMs));
    for (const t of this.timers) t.unref();
  }

  /** Notes what a committed result shows about its probe. */
  note(prbId: number, result: Json): void {
    const e = evidenceOf(result);
    if (!e) return;
    const known = this.pending.get(prbId);
    if (!known) {
      this.pending.set(prbId, e);
      return;
    }
    for (const key of Object.keys(e) as (keyof ProbeEvidence)[]) known[key] = Math.max(known[key] ?? 0, e[key]!);
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await recordProbeEvidence(this.pool, batch);
        await refreshSystemTags(this.pool, [...batch.keys()]);
      } catch (err) {
        this.log.error({ err, probes: batch.size }, "recording probe evidence failed");
      }
    });
    return this.flushing;
  }

  private async sweep(): Promise<void> {
    try {
      await refreshSystemTags(this.pool);
    } catch (err) {
      this.log.error({ err }, "refreshing system tags failed");
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flush();
  }
}
