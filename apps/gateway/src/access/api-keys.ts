import { ApiKeyStore, type Pool } from "@probestream/db";
import { Rights } from "@probestream/types";

/** Who is asking: anonymous, or the user behind an API key and what the key may do. */
export interface Caller {
  userId: number | null;
  /** The key the request was made with: which key "itself" is, for revoking. */
  keyId: number | null;
  rights: ReadonlySet<string>;
}

export const ANONYMOUS: Caller = { userId: null, keyId: null, rights: new Set() };

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
  private readonly store: ApiKeyStore;

  constructor(pool: Pool) {
    this.store = new ApiKeyStore(pool);
  }

  /** The caller of a key, anonymous without one; null for a key that does not exist. */
  async find(key: string | undefined): Promise<Caller | null> {
    if (key === undefined) return ANONYMOUS;
    const holder = await this.store.holderOf(key);
    return holder && { userId: holder.userId, keyId: holder.keyId, rights: new Set(holder.rights) };
  }

  /** As `find`, throwing `UnknownApiKeyError` for a key that does not exist. */
  async resolve(key: string | undefined): Promise<Caller> {
    const caller = await this.find(key);
    if (!caller) throw new UnknownApiKeyError();
    return caller;
  }
}

/** Whether a caller may read a measurement whose results are private to `privateTo` (null: public). */
export function mayRead(caller: Caller, privateTo: number | null): boolean {
  return privateTo === null || (caller.userId === privateTo && caller.rights.has(Rights.readPrivateResults));
}
