import { createHash, randomBytes } from "node:crypto";
import type { Pool } from "pg";

export interface IssuedApiKey {
  id: number;
  userId: number;
  key: string;
  label: string;
  rights: string[];
  createdAt: number;
}

/** SHA-256 of a key, hex: keys are 32 random bytes, so one hash is enough to store them safely. */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The user behind an active key, and the key itself (without the key). */
export interface KeyHolder {
  userId: number;
  userName: string;
  keyId: number;
  label: string;
  rights: string[];
  createdAt: number;
}

/** Users and their API keys. Only a key's hash is stored; the key itself is returned once. */
export class ApiKeyStore {
  constructor(private readonly pool: Pool) {}

  /** The user's id, creating the user if missing. */
  async ensureUser(name: string): Promise<number> {
    const { rows } = await this.pool.query<{ id: number }>(
      "INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
      [name],
    );
    return rows[0]!.id;
  }

  /** The holder of an active key; null for a key unknown or revoked. Only the hash is compared. */
  async holderOf(key: string): Promise<KeyHolder | null> {
    const { rows } = await this.pool.query<{ user_id: number; name: string; id: number; label: string; rights: string[]; created_at: number }>(
      `SELECT k.user_id, u.name, k.id, k.label, k.rights, extract(epoch FROM k.created_at)::bigint::int AS created_at
       FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hashKey(key)],
    );
    const row = rows[0];
    return row
      ? { userId: row.user_id, userName: row.name, keyId: row.id, label: row.label, rights: row.rights, createdAt: row.created_at }
      : null;
  }

  async issue(userId: number, rights: string[], label = ""): Promise<IssuedApiKey> {
    const key = randomBytes(32).toString("base64url");
    const { rows } = await this.pool.query<{ id: number; created_at: number }>(
      `INSERT INTO api_keys (user_id, key_hash, label, rights) VALUES ($1, $2, $3, $4)
       RETURNING id, extract(epoch FROM created_at)::bigint::int AS created_at`,
      [userId, hashKey(key), label, rights],
    );
    const row = rows[0]!;
    return { id: row.id, userId, key, label, rights, createdAt: row.created_at };
  }

  /** Revokes one of the user's keys; false when the user has no such active key. */
  async revoke(userId: number, keyId: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
      [keyId, userId],
    );
    return rowCount === 1;
  }

  async list(userId: number): Promise<Omit<IssuedApiKey, "key">[]> {
    const { rows } = await this.pool.query<{ id: number; label: string; rights: string[]; created_at: number }>(
      `SELECT id, label, rights, extract(epoch FROM created_at)::bigint::int AS created_at
       FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, userId, label: r.label, rights: r.rights, createdAt: r.created_at }));
  }
}
