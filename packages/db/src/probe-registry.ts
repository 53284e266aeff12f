import { createHash, randomBytes } from "node:crypto";
import type { Pool } from "pg";
import type { ProbeRegistration } from "@probestream/types";

/**
 * Registers a new probe for a probe host: a fresh id from the sequence and a new secret, of which
 * only the SHA-256 is stored (the ingest API checks it the same way). Returns the id and the secret.
 */
export async function registerHostedProbe(
  pool: Pool,
  ownerId: number,
  p: Omit<ProbeRegistration, "prb_id">,
): Promise<{ prb_id: number; secret: string }> {
  const secret = randomBytes(32).toString("base64url");
  const hash = createHash("sha256").update(secret).digest("hex");
  // A sequence-chosen id may already be taken by an explicitly numbered probe: draw again.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO probes (id, secret_hash, asn_v4, prefix_v4, country_code, address_v4, address_v6,
                           latitude, longitude, description, owner_id)
       VALUES (nextval('probes_id_seq'), $1, $2, $3, upper($4), $5, $6, $7, $8, COALESCE($9, ''), $10)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [hash, p.asn_v4 ?? null, p.prefix_v4 ?? null, p.country_code ?? null, p.address_v4 ?? null,
        p.address_v6 ?? null, p.latitude ?? null, p.longitude ?? null, p.description ?? null, ownerId],
    );
    const id = rows[0]?.id;
    if (id !== undefined) return { prb_id: id, secret };
  }
  throw new Error("could not allocate a probe id");
}
