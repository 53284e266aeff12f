import type { Pool, PoolClient } from "pg";

/**
 * Runs `work` in one transaction on a client of its own: committed when it resolves, rolled back
 * when it throws (with its error, not the rollback's). A client that cannot roll back has lost its
 * connection and is discarded instead of returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    client.release();
    return result;
  } catch (err) {
    const rolledBack = await client.query("ROLLBACK").then(() => true, () => false);
    client.release(!rolledBack);
    throw err;
  }
}
