import { timingSafeEqual } from "node:crypto";
import { hashProbeSecret, probeSecretHash, type Pool } from "@probestream/db";

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ProbeCredentials {
  prbId: number;
  secret: string;
}

/** `Authorization: Probe <prb_id>:<secret>` */
export function parseProbeAuthorization(header: string | undefined): ProbeCredentials | null {
  const match = /^Probe (\d{1,9}):(\S+)$/.exec(header ?? "");
  if (!match) return null;
  return { prbId: Number(match[1]), secret: match[2]! };
}

const CACHE_MS = 30_000;

/**
 * Checks a probe's secret against its stored hash. Hashes are cached briefly: every batch of every
 * probe is authenticated, and a database round trip each time would cost more than the insert.
 */
export class ProbeAuthenticator {
  private readonly cache = new Map<number, { hash: string; until: number }>();

  constructor(private readonly pool: Pool) {}

  async verify(credentials: ProbeCredentials): Promise<boolean> {
    const hash = await this.storedHash(credentials.prbId);
    return hash !== null && safeEqual(hash, hashProbeSecret(credentials.secret));
  }

  /** Called when a secret changes in this process, so the old one stops working at once here. */
  forget(prbId: number): void {
    this.cache.delete(prbId);
  }

  private async storedHash(prbId: number): Promise<string | null> {
    const now = Date.now();
    const hit = this.cache.get(prbId);
    if (hit && hit.until > now) return hit.hash;
    const hash = await probeSecretHash(this.pool, prbId);
    if (hash) this.cache.set(prbId, { hash, until: now + CACHE_MS });
    else this.cache.delete(prbId);
    return hash;
  }
}
