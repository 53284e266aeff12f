import { createHash, randomBytes } from "node:crypto";
import type { Pool } from "pg";
import type { ProbeRegistration } from "@probestream/types";
import { refreshSystemTags, setUserTags } from "./probe-tags.js";

/** Probe secrets are 32 random bytes, so one SHA-256 is enough to store them safely. */
export function hashProbeSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

// A known id gets a new secret and keeps the details it is not given; a new probe gets all of them.
const REGISTER = `
  INSERT INTO probes AS p (id, secret_hash, asn_v4, prefix_v4, country_code, address_v4, address_v6,
                           latitude, longitude, description, owner_id, is_anchor)
  VALUES (COALESCE($1, nextval('probes_id_seq')), $2, $3, $4, upper($5), $6, $7, $8, $9, COALESCE($10, ''), $11,
          COALESCE($12, false))
  ON CONFLICT (id) DO UPDATE SET
    secret_hash = EXCLUDED.secret_hash,
    asn_v4 = COALESCE(EXCLUDED.asn_v4, p.asn_v4),
    prefix_v4 = COALESCE(EXCLUDED.prefix_v4, p.prefix_v4),
    country_code = COALESCE(EXCLUDED.country_code, p.country_code),
    address_v4 = COALESCE(EXCLUDED.address_v4, p.address_v4),
    address_v6 = COALESCE(EXCLUDED.address_v6, p.address_v6),
    latitude = COALESCE(EXCLUDED.latitude, p.latitude),
    longitude = COALESCE(EXCLUDED.longitude, p.longitude),
    description = CASE WHEN $10::text IS NULL THEN p.description ELSE EXCLUDED.description END,
    is_anchor = COALESCE($12, p.is_anchor)
  WHERE $1::int IS NOT NULL
  RETURNING id`;

/**
 * Registers a probe and issues its secret, of which only the SHA-256 is stored: a new probe (id
 * from the sequence, owned by `ownerId` when given), or, with `prb_id`, a known one whose secret is
 * replaced. Returns the id and the secret, which is shown this once.
 */
export async function registerProbe(
  pool: Pool,
  p: ProbeRegistration,
  ownerId: number | null = null,
): Promise<{ prb_id: number; secret: string }> {
  const secret = randomBytes(32).toString("base64url");
  const params = [
    p.prb_id ?? null, hashProbeSecret(secret), p.asn_v4 ?? null, p.prefix_v4 ?? null, p.country_code ?? null,
    p.address_v4 ?? null, p.address_v6 ?? null, p.latitude ?? null, p.longitude ?? null, p.description ?? null, ownerId,
    p.is_anchor ?? null,
  ];
  // A sequence-chosen id may already be taken by an explicitly numbered probe: draw again.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { rows } = await pool.query<{ id: number }>(REGISTER, params);
    const id = rows[0]?.id;
    if (id === undefined) continue;
    if (p.tags) await setUserTags(pool, id, p.tags);
    await refreshSystemTags(pool, [id]);
    return { prb_id: id, secret };
  }
  throw new Error("could not allocate a probe id");
}
