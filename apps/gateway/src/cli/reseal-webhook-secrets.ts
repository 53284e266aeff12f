import { createPool, DEFAULT_DATABASE_URL } from "@probestream/db";
import { envString } from "@probestream/service-kit";
import { SecretBox } from "../webhooks/secret-box.js";
import { resealWebhookSecrets } from "../webhooks/reseal.js";

// Rotates the key webhook secrets are sealed with: re-seals every stored secret from the old key to
// the new one in one transaction (keys from the environment, never the command line, which other
// users of the machine can see):
//   OLD_WEBHOOK_SECRET_KEY=<old> WEBHOOK_SECRET_KEY=<new> DATABASE_URL=... npm run webhooks:reseal
// Then restart the gateways with WEBHOOK_SECRET_KEY=<new>. Running it again is safe.
const oldText = envString("OLD_WEBHOOK_SECRET_KEY");
const newText = envString("WEBHOOK_SECRET_KEY");
if (oldText === undefined || newText === undefined) {
  console.error("usage: OLD_WEBHOOK_SECRET_KEY=<old key> WEBHOOK_SECRET_KEY=<new key> [DATABASE_URL=...] npm run webhooks:reseal");
  process.exit(2);
}
let keys: [Buffer, Buffer];
try {
  keys = [SecretBox.keyFromText(oldText), SecretBox.keyFromText(newText)];
  for (const key of keys) new SecretBox(key);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}

const pool = createPool(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, 1);
try {
  const { resealed, total } = await resealWebhookSecrets(pool, ...keys);
  console.log(JSON.stringify({ resealed, already_under_new_key: total - resealed, webhooks: total }));
} catch (err) {
  console.error(`nothing was changed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
