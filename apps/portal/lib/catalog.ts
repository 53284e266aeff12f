// The catalog's own entry: the package's main one also holds the migrator and embedded Postgres,
// which a bundle cannot take.
import { createCatalog, type Catalog } from "@probestream/db/catalog";
import { DEFAULT_DATABASE_URL } from "@probestream/db/pool";

// One catalog (and so one connection pool) per server process; kept on globalThis so that
// `next dev` reloading this module does not open a new pool each time.
const holder = globalThis as typeof globalThis & { probestreamCatalog?: Catalog };

export function catalog(): Catalog {
  holder.probestreamCatalog ??= createCatalog(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  return holder.probestreamCatalog;
}
