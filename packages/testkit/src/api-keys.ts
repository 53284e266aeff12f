import { randomBytes } from "node:crypto";
import pg from "pg";
import { hashKey } from "@probestream/db";

/** Creates a user (if missing) and an API key with the given rights; returns the key and the user id. */
export async function createApiKey(databaseUrl: string, userName: string, rights: string[]): Promise<{ key: string; userId: number }> {
  const key = randomBytes(24).toString("base64url");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number }>(
      "INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
      [userName],
    );
    const userId = rows[0]!.id;
    await client.query("INSERT INTO api_keys (user_id, key_hash, rights) VALUES ($1, $2, $3)", [
      userId,
      hashKey(key),
      rights,
    ]);
    return { key, userId };
  } finally {
    await client.end();
  }
}
