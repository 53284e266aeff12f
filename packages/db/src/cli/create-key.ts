import { parseArgs } from "node:util";
import { API_RIGHTS } from "@probestream/types";
import { createPool, DEFAULT_DATABASE_URL } from "../pool.js";
import { ApiKeyStore } from "../api-key-store.js";

// Creates a user (if missing) and an API key for it, and prints the key (shown only here):
//   node packages/db/dist/cli/create-key.js --user alice --rights measurements:create,results:read_private
const { values } = parseArgs({
  options: { user: { type: "string" }, rights: { type: "string", default: "" }, label: { type: "string", default: "" } },
});
if (!values.user) {
  console.error(`usage: create-key --user NAME [--rights ${API_RIGHTS.join(",")}] [--label TEXT]`);
  process.exit(2);
}
const rights = values.rights.split(",").map((r) => r.trim()).filter((r) => r !== "");
const unknown = rights.filter((r) => !(API_RIGHTS as readonly string[]).includes(r));
if (unknown.length > 0) {
  console.error(`unknown rights: ${unknown.join(", ")} (known: ${API_RIGHTS.join(", ")})`);
  process.exit(2);
}
const pool = createPool(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, 1);
try {
  const store = new ApiKeyStore(pool);
  const issued = await store.issue(await store.ensureUser(values.user), rights, values.label);
  console.log(JSON.stringify({ user: values.user, user_id: issued.userId, key_id: issued.id, key: issued.key, rights }));
} finally {
  await pool.end();
}
