import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { API_RIGHTS } from "@probestream/types";
import { createPool, DEFAULT_DATABASE_URL } from "../pool.js";
import { ApiKeyStore } from "../api-key-store.js";

// Creates a user (if missing) and an API key for it, and prints the key (shown only here):
//   npm run keys:create -- --user alice --rights measurements:create,results:read_private
//   npm run keys:create -- --user alice --rights all
// The database: DATABASE_URL, else the embedded one `npm start` last ran (it writes its URL to
// .data/database-url in the checkout), else the local default.
const EMBEDDED_URL_FILE = fileURLToPath(new URL("../../../../.data/database-url", import.meta.url));

const { values } = parseArgs({
  options: { user: { type: "string" }, rights: { type: "string", default: "" }, label: { type: "string", default: "" } },
});
if (!values.user) {
  console.error(`usage: npm run keys:create -- --user NAME [--rights all | ${API_RIGHTS.join(",")}] [--label TEXT]`);
  process.exit(2);
}
const rights = values.rights.trim() === "all"
  ? [...API_RIGHTS]
  : values.rights.split(",").map((r) => r.trim()).filter((r) => r !== "");
const unknown = rights.filter((r) => !(API_RIGHTS as readonly string[]).includes(r));
if (unknown.length > 0) {
  console.error(`unknown rights: ${unknown.join(", ")} (known: ${API_RIGHTS.join(", ")}, or all)`);
  process.exit(2);
}

function embeddedDatabaseUrl(): string | undefined {
  try {
    return readFileSync(EMBEDDED_URL_FILE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

const databaseUrl = process.env.DATABASE_URL ?? embeddedDatabaseUrl() ?? DEFAULT_DATABASE_URL;
const pool = createPool(databaseUrl, 1);
try {
  const store = new ApiKeyStore(pool);
  const issued = await store.issue(await store.ensureUser(values.user), rights, values.label);
  console.log(JSON.stringify({ user: values.user, user_id: issued.userId, key_id: issued.id, key: issued.key, rights }));
} catch (err) {
  const where = new URL(databaseUrl);
  console.error(
    `could not create the key in the database at ${where.host}${where.pathname}: ${err instanceof Error ? err.message : String(err)}\n` +
      "Is `npm start` running (its embedded database), or is DATABASE_URL set to your database?",
  );
  process.exitCode = 1;
} finally {
  await pool.end();
}
