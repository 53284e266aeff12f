import { createCatalog, DEFAULT_DATABASE_URL, type Catalog } from "@probestream/db";

// One catalog (and so one connection pool) per server process; kept on globalThis so that
// `next dev` reloading this module does not open a new pool each time.
const holder = globalThis as typeof globalThis & { probestreamCatalog?: Catalog };

export function catalog(): Catalog {
  holder.probestreamCatalog ??= createCatalog(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  return holder.probestreamCatalog;
}
