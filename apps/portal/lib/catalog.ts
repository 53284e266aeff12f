import type { Catalog } from "@probestream/db";

// Turbopack bundles workspace packages even when they are listed in serverExternalPackages
// (vercel/next.js#84388), and bundling drags in the migrator and embedded Postgres. Importing at
// run time leaves @probestream/db and its drivers plain Node modules, as for the other services.
const loadDb = () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "@probestream/db");

// One catalog (and so one connection pool) per server process; kept on globalThis so that
// `next dev` reloading this module does not open a new pool each time.
const holder = globalThis as typeof globalThis & { probestreamCatalog?: Promise<Catalog> };

export function catalog(): Promise<Catalog> {
  holder.probestreamCatalog ??= loadDb().then((db) =>
    db.createCatalog(process.env.DATABASE_URL ?? db.DEFAULT_DATABASE_URL),
  );
  return holder.probestreamCatalog;
}
