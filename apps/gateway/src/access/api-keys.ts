import { createHash } from "node:crypto";
import type { Pool } from "@probestream/db";

/** Who is asking: anonymous, or the user behind an API key and what the key may do. */
export interface Caller {
  userId: number | null;
  rights: ReadonlySet<string>;
}

export const ANONYMOUS: Caller = { userId: null, rights: new Set() };

export const Rights = {
  readPrivateResults: "results:read_private",
} as const;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The key of a request: `?key=KEY` (as RIPE Atlas) or `Authorization: Key KEY`. */
export function apiKeyOf(query: unknown, authorization: string | undefined): string | undefined {
  const fromHeader = /^Key\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (fromHeader) return fromHeader;
  const fromQuery = (query as { key?: unknown } | undefined)?.key;
  return typeof fromQuery === "string" && fromQuery !== "" ? fromQuery : undefined;
}

export class UnknownApiKeyError extends Error {
  constructor() {
    super("The provided API key does not exist");
  }
}

/** Resolves API keys to callers; only the key's hash is ever compared or stored. */
export class ApiKeys {
  constructor(private readonly pool: Pool) {}

  async resolve(key: string | undefined): Promise<Caller> {
    if (key === undefined) return ANONYMOUS;
    const { rows } = await this.pool.query<{ user_id: number; rights: string[] }>(
      "SELECT user_id, rights FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
      [hashApiKey(key)],
    );
    const row = rows[0];
    if (!row) throw new UnknownApiKeyError();
    return { userId: row.user_id, rights: new Set(row.rights) };
  }
}

/** Whether a caller may read a measurement whose results are private to `privateTo` (null: public). */
export function mayRead(caller: Caller, privateTo: number | null): boolean {
  return privateTo === null || (caller.userId === privateTo && caller.rights.has(Rights.readPrivateResults));
}
