import { reportableMeasurements, type Pool } from "@probestream/db";

/** How long an answer is reused: assignments change rarely, probes post every few seconds. */
const TTL_MS = 10_000;
/** Answers kept at most (probe × measurement pairs); the oldest go first. */
const MAX_ENTRIES = 100_000;

/**
 * Whether a probe may report results for a measurement (packages/db reportableMeasurements),
 * remembered for a few seconds per probe and measurement so that thousands of probes posting
 * every few seconds cost a query per pair now and then, not one per request.
 */
export class ResultAdmission {
  private readonly answers = new Map<string, { allowed: boolean; until: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly openToAll: boolean,
  ) {}

  async check(prbId: number, msmIds: readonly number[]): Promise<Map<number, boolean>> {
    const now = Date.now();
    const out = new Map<number, boolean>();
    const unknown: number[] = [];
    for (const msmId of new Set(msmIds)) {
      const known = this.answers.get(`${prbId}:${msmId}`);
      if (known && known.until > now) out.set(msmId, known.allowed);
      else unknown.push(msmId);
    }
    if (unknown.length === 0) return out;
    for (const [msmId, allowed] of await reportableMeasurements(this.pool, prbId, unknown, this.openToAll)) {
      out.set(msmId, allowed);
      this.remember(`${prbId}:${msmId}`, allowed, now + TTL_MS);
    }
    return out;
  }

  private remember(key: string, allowed: boolean, until: number): void {
    this.answers.delete(key);
    this.answers.set(key, { allowed, until });
    if (this.answers.size > MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value!);
  }
}
