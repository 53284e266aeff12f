import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startPlatform, type Platform } from "@probestream/standalone";
import { createApiKey, createTestDatabase, type TestDatabase, restCall, type JsonAnswer } from "@probestream/testkit";

type Json = JsonAnswer;

let db: TestDatabase;
let platform: Platform;
let manager: string;
let reader: string;
let stranger: string;

const api = (method: string, path: string, key?: string, body?: unknown) => restCall(platform.gatewayUrl, method, path, key, body);

async function currentKeyId(key: string): Promise<number> {
  const res = await api("GET", "/api/v2/keys/current/", key);
  expect(res.status).toBe(200);
  return res.body.id as number;
}

beforeAll(async () => {
  db = await createTestDatabase("api_keys");
  manager = (await createApiKey(db.url, "carol", ["measurements:create", "results:read_private", "keys:manage"])).key;
  reader = (await createApiKey(db.url, "carol", ["results:read_private"])).key;
  stranger = (await createApiKey(db.url, "dave", ["keys:manage"])).key;
  // Measurements for the list filters: carol's private one, a public one of hers, one of dave's, with results.
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO measurements (id, type, description, target, is_public, owner_id, result_count, last_result_at)
      VALUES
        (501, 'ping', 'Carol private ping', 'private.example.net', false, (SELECT id FROM users WHERE name = 'carol'), 7, to_timestamp(1764547200)),
        (502, 'dns', 'Carol public dns', 'ns.example.org', true, (SELECT id FROM users WHERE name = 'carol'), 3, to_timestamp(1764547300)),
        (503, 'ping', 'Dave public ping', 'k.root-servers.net', true, (SELECT id FROM users WHERE name = 'dave'), 0, NULL)`);
  } finally {
    await client.end();
  }
  platform = await startPlatform({ databaseUrl: db.url, gatewayPort: 0, ingestPort: 0, ingestAdminToken: "keys-admin" });
});

afterAll(async () => {
  await platform?.close();
  await db?.drop();
});

describe("key rights", () => {
  it("tells a client which key it calls with, its rights and user", async () => {
    const res = await api("GET", "/api/v2/keys/current/", reader);
    expect(res.body).toMatchObject({ id: expect.any(Number), rights: ["results:read_private"], user: "carol", label: "" });
    expect(res.body.key).toBeUndefined();
    expect((await api("GET", "/api/v2/keys/current/")).status).toBe(401);
    expect((await api("GET", "/api/v2/keys/current/", "no-such-key")).status).toBe(403);
  });

  it("lets a key revoke other keys of its user only with keys:manage", async () => {
    const spare = await api("POST", "/api/v2/keys/", manager, { rights: ["results:read_private"], label: "spare" });
    expect(spare.status).toBe(201);
    const refused = await api("DELETE", `/api/v2/keys/${spare.body.id}/`, reader);
    expect(refused.status).toBe(403);
    expect(refused.body.error.detail).toMatch(/keys:manage/);
    expect((await api("GET", "/api/v2/keys/current/", spare.body.key)).status).toBe(200);
    expect((await api("DELETE", `/api/v2/keys/${spare.body.id}/`, manager)).status).toBe(204);
    expect((await api("GET", "/api/v2/keys/current/", spare.body.key)).status).toBe(403);
  });

  it("lets any key revoke itself", async () => {
    const own = await api("POST", "/api/v2/keys/", reader, { rights: [], label: "throwaway" });
    expect(own.status).toBe(201);
    expect((await api("DELETE", `/api/v2/keys/${own.body.id}/`, own.body.key)).status).toBe(204);
    expect((await api("GET", "/api/v2/keys/", own.body.key)).status).toBe(403);
  });

  it("never reaches another user's keys, even with keys:manage", async () => {
    const readerId = await currentKeyId(reader);
    expect((await api("DELETE", `/api/v2/keys/${readerId}/`, stranger)).status).toBe(404);
    expect((await api("GET", "/api/v2/keys/current/", reader)).status).toBe(200);
  });

  it("grants keys:manage only from a key holding it", async () => {
    expect((await api("POST", "/api/v2/keys/", reader, { rights: ["keys:manage"] })).status).toBe(403);
    const created = await api("POST", "/api/v2/keys/", manager, { rights: ["keys:manage"], label: "admin" });
    expect(created.status).toBe(201);
    expect(created.body.rights).toEqual(["keys:manage"]);
  });
});

describe("measurement list filters the portal uses", () => {
  const ids = (body: Json) => (body.results as Json[]).map((m) => m.id as number);

  it("shows a private measurement to its owner only, with result counts and last result times", async () => {
    expect(ids((await api("GET", "/api/v2/measurements/")).body)).toEqual([503, 502]);
    const own = await api("GET", "/api/v2/measurements/", reader);
    expect(ids(own.body)).toEqual([503, 502, 501]);
    expect((own.body.results as Json[]).find((m) => m.id === 501)).toMatchObject({ result_count: 7, last_result_time: 1_764_547_200 });
    expect((own.body.results as Json[]).find((m) => m.id === 503)).toMatchObject({ result_count: 0, last_result_time: null });
  });

  it("searches description and target, and filters by mine, visibility and type", async () => {
    expect(ids((await api("GET", "/api/v2/measurements/?search=PRIVATE", reader)).body)).toEqual([501]);
    expect(ids((await api("GET", "/api/v2/measurements/?search=root-servers")).body)).toEqual([503]);
    expect(ids((await api("GET", "/api/v2/measurements/?search=private")).body)).toEqual([]);
    expect(ids((await api("GET", "/api/v2/measurements/?search=502")).body)).toEqual([502]);
    expect(ids((await api("GET", "/api/v2/measurements/?search=501")).body)).toEqual([]);
    expect(ids((await api("GET", "/api/v2/measurements/?mine=true&sort=id", reader)).body)).toEqual([501, 502]);
    expect(ids((await api("GET", "/api/v2/measurements/?is_public=false", reader)).body)).toEqual([501]);
    expect(ids((await api("GET", "/api/v2/measurements/?type=ping&sort=id", reader)).body)).toEqual([501, 503]);
    expect((await api("GET", "/api/v2/measurements/?mine=true")).status).toBe(401);
  });

  it("sorts by result count and last result time, and pages", async () => {
    expect(ids((await api("GET", "/api/v2/measurements/?sort=-result_count", reader)).body)).toEqual([501, 502, 503]);
    expect(ids((await api("GET", "/api/v2/measurements/?sort=-last_result_time", reader)).body)).toEqual([502, 501, 503]);
    const first = await api("GET", "/api/v2/measurements/?sort=id&page_size=2", reader);
    expect(first.body).toMatchObject({ count: 3, previous: null });
    expect(ids(first.body)).toEqual([501, 502]);
    const next = new URL(first.body.next as string);
    const second = await api("GET", `${next.pathname}${next.search}`, reader);
    expect(ids(second.body)).toEqual([503]);
    expect(second.body.next).toBeNull();
  });
});
