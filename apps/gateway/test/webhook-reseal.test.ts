import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform, type PlatformOptions } from "@probestream/standalone";
import {
  WebhookReceiver, createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, type TestDatabase, type TestProbe,
} from "@probestream/testkit";
import { SecretBox, verifySignature } from "../src/index.js";

// Rotating WEBHOOK_SECRET_KEY with `npm run webhooks:reseal` (the CLI, run as an operator runs it):
// every secret re-sealed in one transaction, deliveries afterwards signed with the same secret
// under the new key; a second run changes nothing; a wrong old key changes nothing.

const CLI = fileURLToPath(new URL("../dist/cli/reseal-webhook-secrets.js", import.meta.url));
const SECRET = "whsec-reseal-tests-0001";
const OLD_KEY = Buffer.alloc(32, 1);
const NEW_KEY = Buffer.alloc(32, 2);
let db: TestDatabase;
let pool: pg.Pool;
let platform: Platform;
let key: { key: string; userId: number };
let probe: TestProbe;
let clock = Math.floor(Date.now() / 1000) - 3600;

const options = (databaseUrl: string, secretKey: Buffer): PlatformOptions => ({
  databaseUrl, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "reseal-admin",
  webhooks: { secretKey, allowPrivateTargets: true, settings: { batchSize: 10, batchWaitMs: 10, leaseMs: 3000, idlePollMs: 200 }, sender: { timeoutMs: 1500 } },
});

async function reseal(oldKey: Buffer, newKey: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: db.url, OLD_WEBHOOK_SECRET_KEY: oldKey.toString("hex"), WEBHOOK_SECRET_KEY: newKey.toString("base64") };
  return promisify(execFile)(process.execPath, [CLI], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

const sealedSecrets = async () => (await pool.query<{ id: number; secret_sealed: Buffer }>("SELECT id, secret_sealed FROM webhooks ORDER BY id")).rows;

async function storeAndReceive(receiver: WebhookReceiver, msm: number, n: number): Promise<void> {
  const before = receiver.acknowledgedPositions().length;
  const results = Array.from({ length: n }, () => pingResult(probe.prbId, msm, clock++));
  expect((await postResults(platform.ingestUrl, probe, results)).body.stored).toBe(n);
  await receiver.waitFor(() => receiver.acknowledgedPositions().length >= before + n);
}

beforeAll(async () => {
  db = await createTestDatabase("webhook_reseal");
  pool = new pg.Pool({ connectionString: db.url });
  key = await createApiKey(db.url, "kim", ["webhooks:manage"]);
  platform = await startPlatform(options(db.url, OLD_KEY));
  probe = await registerProbe(platform.ingestUrl, "reseal-admin", 9101);
});

afterAll(async () => {
  await platform?.close();
  await pool?.end();
  await db?.drop();
});

describe("webhooks:reseal", () => {
  it("re-seals every secret under the new key; deliveries go on signed with the same secret", async () => {
    const receiver = await WebhookReceiver.start();
    try {
      for (const msm of [4001, 4002]) {
        const res = await restCall(platform.gatewayUrl, "POST", "/api/v2/webhooks/", key.key, { url: receiver.url, secret: SECRET, subscription: { stream_type: "result", msm } });
        expect(res.status).toBe(201);
      }
      await storeAndReceive(receiver, 4001, 2);
      await platform.close();

      const before = await sealedSecrets();
      const wrong = await reseal(Buffer.alloc(32, 9), NEW_KEY);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/nothing was changed: the secret of webhook \d+ opens under neither/);
      expect(await sealedSecrets()).toEqual(before);

      const run = await reseal(OLD_KEY, NEW_KEY);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ resealed: 2, already_under_new_key: 0, webhooks: 2 });
      const after = await sealedSecrets();
      for (const [i, row] of after.entries()) {
        expect(row.secret_sealed.equals(before[i]!.secret_sealed)).toBe(false);
        expect(new SecretBox(NEW_KEY).open(row.secret_sealed, key.userId)).toBe(SECRET);
        expect(() => new SecretBox(OLD_KEY).open(row.secret_sealed, key.userId)).toThrow();
      }
      expect(JSON.parse((await reseal(OLD_KEY, NEW_KEY)).stdout)).toEqual({ resealed: 0, already_under_new_key: 2, webhooks: 2 });
      expect(await sealedSecrets()).toEqual(after);

      platform = await startPlatform(options(db.url, NEW_KEY));
      const seen = receiver.deliveries.length;
      await storeAndReceive(receiver, 4001, 2);
      await storeAndReceive(receiver, 4002, 1);
      const fresh = receiver.deliveries.slice(seen).filter(WebhookReceiver.acknowledged);
      expect(fresh.length).toBeGreaterThan(0);
      for (const d of fresh) expect(verifySignature(SECRET, String(d.headers["x-probestream-signature"]), d.body)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
