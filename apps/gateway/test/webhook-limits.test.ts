import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatform, type Platform } from "@probestream/standalone";
import {
  createApiKey, createTestDatabase, pingResult, postResults, registerProbe, restCall, type Json, type TestDatabase, type TestProbe,
} from "@probestream/testkit";

// The safety limits of a POST: an answer over 64 KiB is cut off there and the attempt is a failure,
// retried; a receiver that never answers is given up on after the time limit, recorded, retried.
// Receivers are local HTTP servers; the time limit is short here.

const TIMEOUT_MS = 400;
const SECRET = "whsec-limits-tests-0001";
let db: TestDatabase;
let platform: Platform;
let key: string;
let probe: TestProbe;
let clock = Math.floor(Date.now() / 1000) - 3600;

const api = (method: string, path: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

/** A receiver misbehaving for its first `bad` POSTs (as `misbehave` does), then answering 204. */
class Receiver {
  readonly posts: { delivery: string; closedAt: number | null; at: number; bytesSent: number }[] = [];
  private constructor(private readonly server: Server) {}

  static async start(bad: number, misbehave: (req: IncomingMessage, res: ServerResponse, post: Receiver["posts"][number]) => void): Promise<Receiver> {
    const receiver: Receiver = new Receiver(createServer((req, res) => {
      req.resume();
      const post = { delivery: String(req.headers["x-probestream-delivery"]), closedAt: null as number | null, at: Date.now(), bytesSent: 0 };
      receiver.posts.push(post);
      res.on("close", () => (post.closedAt = Date.now()));
      if (receiver.posts.length <= bad) misbehave(req, res, post);
      else req.on("end", () => res.writeHead(204).end());
    }));
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

beforeAll(async () => {
  db = await createTestDatabase("webhook_limits");
  key = (await createApiKey(db.url, "judy", ["webhooks:manage"])).key;
  platform = await startPlatform({
    databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "limits-admin",
    webhooks: {
      secretKey: Buffer.alloc(32, 3), allowPrivateTargets: true,
      settings: { batchSize: 10, batchWaitMs: 10, retryBaseMs: 50, retryMaxMs: 100, retryWindowMs: 60_000, leaseMs: 3000, idlePollMs: 200 },
      sender: { timeoutMs: TIMEOUT_MS },
    },
  });
  probe = await registerProbe(platform.ingestUrl, "limits-admin", 9001);
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

async function hookAndStore(url: string, msm: number): Promise<number> {
  const res = await api("POST", "/api/v2/webhooks/", { url, secret: SECRET, subscription: { stream_type: "result", msm } });
  expect(res.status).toBe(201);
  const stored = await postResults(platform.ingestUrl, probe, [pingResult(probe.prbId, msm, clock++), pingResult(probe.prbId, msm, clock++)]);
  expect(stored.body.stored).toBe(2);
  return res.body.id as number;
}

/** The webhook's attempts, oldest first, once one was delivered. */
async function attemptsUntilDelivered(id: number): Promise<Json[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const attempts = ((await api("GET", `/api/v2/webhooks/${id}/deliveries/?page_size=100`)).body.results as Json[]).reverse();
    if (attempts.some((a) => a.outcome === "delivered")) return attempts;
    if (Date.now() > deadline) throw new Error(`webhook ${id} was not delivered: ${JSON.stringify(attempts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("webhook POST limits", () => {
  it("cuts off an answer streaming past 64 KiB, records the attempt as failed, and retries it", async () => {
    const chunk = Buffer.alloc(16 * 1024, "x");
    // Streams 200 with a body without end (bounded at 64 MiB so the test cannot run away) until the sender hangs up.
    const receiver = await Receiver.start(2, (_req, res, post) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const pump = () => {
        while (!res.destroyed && post.bytesSent < 64 * 1024 * 1024) {
          post.bytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    try {
      const id = await hookAndStore(receiver.url, 3001);
      const attempts = await attemptsUntilDelivered(id);
      expect(attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "delivered"]);
      for (const failed of attempts.slice(0, 2)) {
        expect(failed).toMatchObject({ status_code: 200, error: expect.stringMatching(/exceeded 65536 bytes and was cut off/) });
      }
      // The same batch each time, and the sender hung up long before the receiver would have stopped.
      expect(new Set(receiver.posts.map((p) => p.delivery)).size).toBe(1);
      for (const post of receiver.posts.slice(0, 2)) {
        expect(post.closedAt).not.toBeNull();
        expect(post.bytesSent).toBeLessThan(16 * 1024 * 1024);
      }
      const hook = (await api("GET", `/api/v2/webhooks/${id}/`)).body;
      expect(hook).toMatchObject({ state: "active", last_error: null });
    } finally {
      await receiver.close();
    }
  });

  it("gives up on a receiver that never answers after the time limit, records it, and retries", async () => {
    const receiver = await Receiver.start(2, () => undefined);
    try {
      const id = await hookAndStore(receiver.url, 3002);
      const attempts = await attemptsUntilDelivered(id);
      expect(attempts.map((a) => a.outcome)).toEqual(["failed", "failed", "delivered"]);
      for (const failed of attempts.slice(0, 2)) {
        expect(failed).toMatchObject({ status_code: null, error: expect.stringMatching(/timed out/) });
        expect(failed.latency_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
        expect(failed.latency_ms).toBeLessThan(TIMEOUT_MS + 1500);
      }
      expect(attempts[2]).toMatchObject({ attempt: 3, status_code: 204 });
      // The unanswered requests were hung up by the sender, each after about the time limit (which runs from
      // before the connection: the receiver sees a request later by its connecting and sending, 45 ms on a busy box).
      for (const post of receiver.posts.slice(0, 2)) expect(post.closedAt! - post.at).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(new Set(receiver.posts.map((p) => p.delivery)).size).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});
