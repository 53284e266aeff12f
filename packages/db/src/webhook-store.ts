import type { Pool } from "pg";
import { inTransaction } from "./transaction.js";

export type WebhookState = "active" | "paused" | "failing";

/** A webhook as stored; its secret only sealed (the gateway seals and opens it). */
export interface WebhookRow {
  id: number;
  userId: number;
  keyId: number;
  url: string;
  secretSealed: Buffer;
  /** The subscription parameters as given (the stream's `atlas_subscribe` shape). */
  subscription: Record<string, unknown>;
  description: string;
  state: WebhookState;
  /** Stream position delivered (and acknowledged) up to. */
  position: string;
  version: number;
  /** Unix ms of the first failed attempt of the batch being retried, null when none is. */
  retrySince: number | null;
  lastError: string | null;
  /** Unix seconds. */
  lastSuccessAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A webhook leased to a worker, with the rights of its key (what it may read). */
export interface LeasedWebhook extends WebhookRow {
  keyRights: string[];
}

export interface NewWebhook {
  url: string;
  secretSealed: Buffer;
  subscription: Record<string, unknown>;
  description: string;
  position: string;
}

export interface WebhookChanges {
  url?: string;
  secretSealed?: Buffer;
  subscription?: Record<string, unknown>;
  description?: string;
  state?: "active" | "paused";
}

/** One attempt to deliver a batch (or a test event). */
export interface DeliveryAttempt {
  webhookId: number;
  deliveryId: string;
  attempt: number;
  /** The stream type delivered (`result`, `alert`, `probestatus`, `metadata`) or `test`. */
  event: string;
  firstPosition: string | null;
  lastPosition: string | null;
  results: number;
  outcome: "delivered" | "failed";
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface RecordedAttempt extends DeliveryAttempt {
  id: number;
  /** Unix ms. */
  attemptedAt: number;
}

/** Attempts kept per webhook: the list is for a user looking at recent health, not an archive. */
const ATTEMPTS_KEPT = 200;

const COLUMNS = `w.id, w.user_id, w.key_id, w.url, w.secret_sealed, w.subscription, w.description, w.state, w.position,
  w.version, (extract(epoch FROM w.retry_since) * 1000)::bigint AS retry_since_ms, w.last_error,
  extract(epoch FROM w.last_success_at)::bigint AS last_success_at, extract(epoch FROM w.created_at)::bigint AS created_at,
  extract(epoch FROM w.updated_at)::bigint AS updated_at`;

interface Row {
  id: number;
  user_id: number;
  key_id: number;
  url: string;
  secret_sealed: Buffer;
  subscription: Record<string, unknown>;
  description: string;
  state: WebhookState;
  position: string;
  version: number;
  retry_since_ms: string | null;
  last_error: string | null;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
}

const toWebhook = (r: Row): WebhookRow => ({
  id: r.id,
  userId: r.user_id,
  keyId: r.key_id,
  url: r.url,
  secretSealed: r.secret_sealed,
  subscription: r.subscription,
  description: r.description,
  state: r.state,
  position: r.position,
  version: r.version,
  retrySince: r.retry_since_ms === null ? null : Number(r.retry_since_ms),
  lastError: r.last_error,
  lastSuccessAt: r.last_success_at === null ? null : Number(r.last_success_at),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * Webhooks, their delivery positions and leases, and their recent attempts. A worker delivers a
 * webhook only while it holds its lease (a row lock taken with SKIP LOCKED, then an expiry it
 * renews), and every change of its position is made under that lease: two workers never deliver
 * one webhook at once, and one that lost its lease cannot move the position another now owns.
 */
export class WebhookStore {
  constructor(private readonly pool: Pool) {}

  async create(userId: number, keyId: number, w: NewWebhook): Promise<WebhookRow> {
    const { rows } = await this.pool.query<Row>(
      `WITH w AS (
         INSERT INTO webhooks (user_id, key_id, url, secret_sealed, subscription, description, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)
       SELECT ${COLUMNS} FROM w`,
      [userId, keyId, w.url, w.secretSealed, JSON.stringify(w.subscription), w.description, w.position],
    );
    return toWebhook(rows[0]!);
  }

  async get(userId: number, id: number): Promise<WebhookRow | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM webhooks w WHERE w.id = $1 AND w.user_id = $2`, [id, userId]);
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  async list(userId: number): Promise<WebhookRow[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM webhooks w WHERE w.user_id = $1 ORDER BY w.id`, [userId]);
    return rows.map(toWebhook);
  }

  /**
   * Changes a webhook; the worker delivering it takes the new settings after its current attempt.
   * Setting `active` resumes a paused or failing one from its position, with a fresh retry window.
   */
  async update(userId: number, id: number, c: WebhookChanges): Promise<WebhookRow | null> {
    const sets: string[] = ["version = version + 1", "updated_at = now()"];
    const params: unknown[] = [id, userId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (c.url !== undefined) set("url", c.url);
    if (c.secretSealed !== undefined) set("secret_sealed", c.secretSealed);
    if (c.subscription !== undefined) set("subscription", JSON.stringify(c.subscription));
    if (c.description !== undefined) set("description", c.description);
    if (c.state !== undefined) {
      set("state", c.state);
      sets.push("retry_since = NULL");
    }
    const { rows } = await this.pool.query<Row>(
      `WITH w AS (UPDATE webhooks SET ${sets.join(", ")} WHERE id = $1 AND user_id = $2 RETURNING *) SELECT ${COLUMNS} FROM w`,
      params,
    );
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  async remove(userId: number, id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query("DELETE FROM webhooks WHERE id = $1 AND user_id = $2", [id, userId]);
    return rowCount === 1;
  }

  /** Leases up to `limit` active webhooks of active keys that no worker holds (or whose lease expired). */
  async claim(owner: string, leaseMs: number, limit: number): Promise<LeasedWebhook[]> {
    const { rows } = await this.pool.query<Row & { key_rights: string[] }>(
      `WITH free AS (
         SELECT wh.id FROM webhooks wh
         WHERE wh.state = 'active' AND (wh.lease_until IS NULL OR wh.lease_until < now())
           AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = wh.key_id AND k.revoked_at IS NULL)
         ORDER BY wh.id LIMIT $3 FOR UPDATE SKIP LOCKED),
       w AS (
         UPDATE webhooks SET lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond'
         FROM free WHERE webhooks.id = free.id RETURNING webhooks.*)
       SELECT ${COLUMNS}, k.rights AS key_rights FROM w JOIN api_keys k ON k.id = w.key_id`,
      [owner, leaseMs, limit],
    );
    return rows.map((r) => ({ ...toWebhook(r), keyRights: r.key_rights }));
  }

  /**
   * Extends the leases `owner` still holds on active webhooks of active keys; answers each one's
   * settings version. One missing from the answer is no longer the owner's to deliver.
   */
  async renew(owner: string, ids: number[], leaseMs: number): Promise<Map<number, number>> {
    const { rows } = await this.pool.query<{ id: number; version: number }>(
      `UPDATE webhooks w SET lease_until = now() + $3 * interval '1 millisecond'
       WHERE w.id = ANY($2) AND w.lease_owner = $1 AND w.state = 'active'
         AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = w.key_id AND k.revoked_at IS NULL)
       RETURNING w.id, w.version`,
      [owner, ids, leaseMs],
    );
    return new Map(rows.map((r) => [r.id, r.version]));
  }

  /**
   * Notes `owner` alive for `leaseMs` more (forgetting workers not seen since theirs ran out), and
   * answers how many workers are alive, itself included, and how many webhooks they share.
   */
  async heartbeat(owner: string, leaseMs: number): Promise<{ workers: number; webhooks: number }> {
    const { rows } = await this.pool.query<{ workers: number; webhooks: number }>(
      `WITH gone AS (DELETE FROM webhook_workers WHERE seen_until < now() AND owner <> $1),
       me AS (
         INSERT INTO webhook_workers (owner, seen_until) VALUES ($1, now() + $2 * interval '1 millisecond')
         ON CONFLICT (owner) DO UPDATE SET seen_until = EXCLUDED.seen_until)
       SELECT (SELECT count(*)::int FROM webhook_workers WHERE seen_until >= now() AND owner <> $1) + 1 AS workers,
              (SELECT count(*)::int FROM webhooks wh WHERE wh.state = 'active'
                 AND EXISTS (SELECT 1 FROM api_keys k WHERE k.id = wh.key_id AND k.revoked_at IS NULL)) AS webhooks`,
      [owner, leaseMs],
    );
    return rows[0]!;
  }

  /** A worker stopping: the others count it out at once. */
  async leave(owner: string): Promise<void> {
    await this.pool.query("DELETE FROM webhook_workers WHERE owner = $1", [owner]);
  }

  /** Gives a lease back (a stopping worker): another worker may take the webhook at once. */
  async release(owner: string, ids: number[]): Promise<void> {
    await this.pool.query("UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($2) AND lease_owner = $1", [owner, ids]);
  }

  /** The webhook's settings again, while `owner` holds it; null once it does not. */
  async reload(owner: string, id: number): Promise<LeasedWebhook | null> {
    const { rows } = await this.pool.query<Row & { key_rights: string[] }>(
      `SELECT ${COLUMNS}, k.rights AS key_rights FROM webhooks w JOIN api_keys k ON k.id = w.key_id
       WHERE w.id = $1 AND w.lease_owner = $2 AND w.state = 'active' AND k.revoked_at IS NULL`,
      [id, owner],
    );
    return rows[0] ? { ...toWebhook(rows[0]), keyRights: rows[0].key_rights } : null;
  }

  /**
   * Moves the position on: results up to it were acknowledged by the receiver (`delivered`) or
   * none of them was the webhook's. False when `owner` no longer holds the webhook (or its lease
   * expired: another worker may have taken it meanwhile).
   */
  async advance(owner: string, id: number, position: string, delivered: boolean): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE webhooks SET position = $3, retry_since = NULL
         ${delivered ? ", last_success_at = now(), last_error = NULL" : ""}
       WHERE id = $1 AND lease_owner = $2 AND lease_until > now() AND state = 'active'`,
      [id, owner, position],
    );
    return rowCount === 1;
  }

  /** Notes a failed attempt; answers when the batch's retries began (Unix ms), null when `owner` lost the webhook. */
  async noteFailure(owner: string, id: number, error: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ since: string }>(
      `UPDATE webhooks SET retry_since = COALESCE(retry_since, now()), last_error = $3
       WHERE id = $1 AND lease_owner = $2 AND lease_until > now() AND state = 'active'
       RETURNING (extract(epoch FROM retry_since) * 1000)::bigint AS since`,
      [id, owner, error],
    );
    return rows[0] ? Number(rows[0].since) : null;
  }

  /** The retry window ran out: the webhook waits, failing, until its user resumes it. */
  async markFailing(owner: string, id: number, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE webhooks SET state = 'failing', last_error = $3, lease_owner = NULL, lease_until = NULL, updated_at = now()
       WHERE id = $1 AND lease_owner = $2 AND lease_until > now() AND state = 'active'`,
      [id, owner, error],
    );
  }

  /** Records an attempt; answers its id (0 when the webhook was deleted meanwhile). */
  async recordAttempt(a: DeliveryAttempt): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH added AS (
         INSERT INTO webhook_deliveries (webhook_id, delivery_id, attempt, event, first_position, last_position, results,
                                         outcome, status_code, latency_ms, error)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $1)
         RETURNING id)
       , pruned AS (DELETE FROM webhook_deliveries d WHERE d.webhook_id = $1 AND d.id <= (
         SELECT id FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC OFFSET ${ATTEMPTS_KEPT} LIMIT 1))
       SELECT id FROM added`,
      [a.webhookId, a.deliveryId, a.attempt, a.event, a.firstPosition, a.lastPosition, a.results, a.outcome, a.statusCode,
        Math.round(a.latencyMs), a.error],
    );
    return rows[0] ? Number(rows[0].id) : 0;
  }

  /** The webhook's attempts, newest first. */
  async attempts(webhookId: number, offset: number, limit: number): Promise<{ total: number; attempts: RecordedAttempt[] }> {
    const [{ rows: count }, { rows }] = await Promise.all([
      this.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1", [webhookId]),
      this.pool.query<{
        id: string; delivery_id: string; attempt: number; event: string; first_position: string | null;
        last_position: string | null; results: number; outcome: "delivered" | "failed"; status_code: number | null;
        latency_ms: number; error: string | null; attempted_ms: string;
      }>(
        `SELECT id, delivery_id, attempt, event, first_position, last_position, results, outcome, status_code, latency_ms, error,
                (extract(epoch FROM attempted_at) * 1000)::bigint AS attempted_ms
         FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC OFFSET $2 LIMIT $3`,
        [webhookId, offset, limit],
      ),
    ]);
    return {
      total: count[0]!.n,
      attempts: rows.map((r) => ({
        id: Number(r.id), webhookId, deliveryId: r.delivery_id, attempt: r.attempt, event: r.event, firstPosition: r.first_position,
        lastPosition: r.last_position, results: r.results, outcome: r.outcome, statusCode: r.status_code, latencyMs: r.latency_ms,
        error: r.error, attemptedAt: Number(r.attempted_ms),
      })),
    };
  }

  /**
   * Replaces every stored sealed secret by `reseal(sealed, userId)` in one transaction (key
   * rotation): the rows are locked meanwhile, and when `reseal` throws for any, nothing is changed.
   * `reseal` answers null for a secret to leave as it is. Answers how many were replaced, of how many.
   */
  async resealSecrets(reseal: (sealed: Buffer, userId: number, id: number) => Buffer | null): Promise<{ resealed: number; total: number }> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number; user_id: number; secret_sealed: Buffer }>(
        "SELECT id, user_id, secret_sealed FROM webhooks ORDER BY id FOR UPDATE",
      );
      const changed = rows.flatMap((r) => {
        const sealed = reseal(r.secret_sealed, r.user_id, r.id);
        return sealed === null ? [] : [{ id: r.id, sealed }];
      });
      if (changed.length > 0) {
        await client.query(
          `UPDATE webhooks w SET secret_sealed = v.sealed FROM unnest($1::int[], $2::bytea[]) AS v(id, sealed) WHERE w.id = v.id`,
          [changed.map((c) => c.id), changed.map((c) => c.sealed)],
        );
      }
      return { resealed: changed.length, total: rows.length };
    });
  }

  /** Webhooks by state, over the whole database (for `/metrics`). */
  async countByState(): Promise<Record<WebhookState, number>> {
    const { rows } = await this.pool.query<{ state: WebhookState; n: number }>("SELECT state, count(*)::int AS n FROM webhooks GROUP BY state");
    const counts: Record<WebhookState, number> = { active: 0, paused: 0, failing: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }
}
