import { hash } from "node:crypto";
import type { Pool } from "pg";
import { MeasurementStatus, joinJsonBytes } from "@probestream/types";
import { LOG_START, MEASUREMENT_PRIVATE_TO_SQL, POSITION_SQL, precededOnlyByVisibleSql, type LogEntry } from "./result-log.js";
import type { StoredMeasurementEvent } from "./event-log.js";

/** A validated result, ready to store: its key fields and its JSON as the probe sent it. */
export interface ResultToStore {
  msmId: number;
  prbId: number;
  /** Unix seconds, the probe's measurement time. */
  timestamp: number;
  type: string;
  /** The probe's JSON object, serialised, without `stored_timestamp`. */
  body: string;
}

export interface StoredResult {
  /** Its stream position in the committed log (see result-log.ts). */
  id: string;
  msmId: number;
  prbId: number;
  timestamp: number;
  type: string;
  storedTimestamp: number;
  /** The result as served to users: the probe's JSON plus `stored_timestamp`. */
  json: string;
  /** Owner of the measurement when it is private; null when anyone may read it. */
  privateTo: number | null;
}

export interface WriteOutcome {
  stored: StoredResult[];
  /** Results already stored before (a probe's re-send), not stored or published again. */
  duplicates: number;
  /**
   * The `created` events of the measurements this batch created (results of a measurement id the
   * platform had not seen), stored in the batch's transaction: to publish.
   */
  createdEvents: StoredMeasurementEvent[];
}

/**
 * A turn's results in log order, as the relay publishes them. `finalAfter` is set when the turn's
 * own statement proved them final (see INSERT_SQL): every row before them is committed and the last
 * such row is at that position (`LOG_START` when there is none). Null when that was not proven.
 */
export interface CommittedTurn {
  entries: LogEntry[];
  finalAfter: string | null;
  /** The PostgreSQL backend that committed it: its NOTIFY is this turn's. */
  backendPid: number;
}

const DAY = 86_400;

/** Appends the platform's field to a serialised JSON object without re-parsing it. */
export function withStoredTimestamp(body: string, storedTimestamp: number): string {
  const open = body.length > 2 ? "," : "";
  return `${body.slice(0, -1)}${open}"stored_timestamp":${storedTimestamp}}`;
}

// The bodies travel as one JSON array whose elements PostgreSQL keeps verbatim (json, not jsonb):
// as a text[] parameter each body was escaped and the array literal measured (profiled here: 20 %
// of an ingest process's CPU); the array is the bodies written into one Buffer, no escaping, which
// pg sends in binary format: json's binary form is its text.
//
// One statement: insert the new results (a repeated key is skipped, not an error) and bump the
// per-measurement counters the portal lists, in the same implicit transaction. Measurement rows are
// locked in id order so that concurrent batches cannot deadlock on them.
//
// It also proves, when it can, that its rows are final the moment it commits, so that the relay
// publishes them without reading them back: the statement's snapshot was taken before its
// transaction id T was assigned; when every id below T it saw running, or that was assigned in
// between, is another database's (result-log.ts), every row that comes before T's was visible to
// it. No row can then come before T's rows any more, and `final_after` names the last one that
// does. Under concurrent writers the proof often fails (null), and the relay reads the log as usual.
//
// A measurement it creates gets its `created` event stored by the same statement (the measurement
// event log, event-log.ts), so that no crash keeps the one without the other. The event is built here,
// as bus/measurement-event.ts's measurementEventOf serialises its events (a test holds them equal), since
// this statement is the transaction: only its results tell that the measurement is new.
const CREATED_EVENT_SQL = `format('{"msm_id":%s,"event":"created","timestamp":%s,"type":%s,"status":{"id":%s,"name":%s},"is_public":%s}',
  id, floor(extract(epoch FROM now()))::bigint, to_json(type), status, to_json('${JSON.stringify(MeasurementStatus)}'::json ->> status::text), to_json(is_public))::json`;

const INSERT_SQL = `
WITH input AS (
  SELECT t.msm_id, t.prb_id, t.ts, t.type, t.digest, b.body
  FROM unnest($1::int[], $2::int[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS t(msm_id, prb_id, ts, type, digest, n)
  JOIN json_array_elements($6::json) WITH ORDINALITY AS b(body, n) ON b.n = t.n
), inserted AS (
  INSERT INTO results (msm_id, prb_id, ts, type, digest, body)
  SELECT msm_id, prb_id, to_timestamp(ts), type, decode(digest, 'hex'), body FROM input
  ON CONFLICT DO NOTHING
  RETURNING tx, id, ${POSITION_SQL} AS position, msm_id, prb_id, extract(epoch FROM ts)::bigint AS ts, type, encode(digest, 'hex') AS digest,
            extract(epoch FROM stored_at)::bigint AS stored_timestamp, (extract(epoch FROM stored_at) * 1000)::bigint AS stored_ms
), counted AS (
  INSERT INTO measurements AS m (id, type, result_count, last_result_at)
  SELECT msm_id, min(type), count(*), now() FROM inserted GROUP BY msm_id ORDER BY msm_id
  ON CONFLICT (id) DO UPDATE
    SET result_count = m.result_count + EXCLUDED.result_count, last_result_at = EXCLUDED.last_result_at
  RETURNING id, type, status, is_public, ${MEASUREMENT_PRIVATE_TO_SQL} AS private_to, xmax = 0 AS created
), created_events AS (
  INSERT INTO measurement_events (msm_id, private_to, event)
  SELECT id, private_to, ${CREATED_EVENT_SQL} FROM counted WHERE created ORDER BY id
  RETURNING msm_id, private_to, event
), horizon AS (
  SELECT pg_current_xact_id() AS tx, pg_current_snapshot() AS snap
)
SELECT i.position, i.msm_id, i.prb_id, i.ts, i.digest, i.stored_timestamp, i.stored_ms, c.private_to,
       (SELECT CASE WHEN ${precededOnlyByVisibleSql("h.snap", "h.tx")} THEN COALESCE(
          (SELECT ${POSITION_SQL} FROM results r WHERE r.tx < h.tx ORDER BY r.tx DESC, r.id DESC LIMIT 1), '${LOG_START}') END
        FROM horizon h) AS final_after, pg_backend_pid() AS backend_pid,
       (SELECT json_agg(json_build_object('privateTo', e.private_to, 'event', e.event))::text FROM created_events e) AS created_events
FROM inserted i JOIN counted c ON c.id = i.msm_id ORDER BY i.tx, i.id`;

interface InsertedRow {
  position: string;
  msm_id: number;
  prb_id: number;
  ts: string;
  digest: string;
  stored_timestamp: string;
  stored_ms: string;
  private_to: number | null;
  final_after: string | null;
  backend_pid: number;
  /** The created events (JSON array) on every row; null when the statement created no measurement. */
  created_events: string | null;
}

interface Waiting {
  batch: readonly ResultToStore[];
  /** The md5 of each result's body (hex), the dedup key's last part: made as the batch arrives. */
  digests: string[];
  resolve(outcome: WriteOutcome): void;
  reject(err: unknown): void;
}

/** A statement sent for a group of batches, and what is needed to settle it once it answers. */
interface Turn {
  group: Waiting[];
  /** Which input a returned row is, by its dedup key: the first batch of the group that holds it. */
  owner: Map<string, { result: ResultToStore; batch: number }>;
  rows: Promise<InsertedRow[]>;
}

/**
 * Results committed in one turn at most. Per-row cost grows with statement size (measured here:
 * 24,000 results/s in turns of 1,000, 15,600 in turns of 2,000), and it bounds a turn's latency.
 */
const MAX_GROUP_RESULTS = 1000;

/** Results waiting for a turn at most, by default: a few seconds of the commit rate measured here. */
export const DEFAULT_MAX_WAITING_RESULTS = 50_000;

/** The writer holds as many results as it may wait with; the batch is refused, nothing of it stored. */
export class WriterOverloadedError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} results are waiting to be stored; refusing more until they are`);
  }
}

/**
 * The probe-facing hot path into Postgres, idempotent on (prb_id, msm_id, timestamp, body digest),
 * with daily partitions created on first sight of a day. Processes commit concurrently: nothing is
 * published here, the relay publishes the committed log in its order (result-log.ts). Within a
 * process, batches that arrive while a turn runs are committed together in the next one (group
 * commit): one statement for all of them.
 */
export class ResultWriter {
  private readonly knownDays = new Set<number>();
  private readonly waiting: Waiting[] = [];
  private waitingResults = 0;
  private draining = false;

  /**
   * `onCommitted` gets each turn that stored results (for the relay of this process). `maxWaitingResults` bounds the memory of the queue under overload: past it, `write`
   * refuses with WriterOverloadedError rather than buffering without limit.
   */
  constructor(
    private readonly pool: Pool,
    private readonly onCommitted?: (turn: CommittedTurn) => void,
    private readonly maxWaitingResults = DEFAULT_MAX_WAITING_RESULTS,
  ) {}

  write(batch: readonly ResultToStore[]): Promise<WriteOutcome> {
    if (batch.length === 0) return Promise.resolve({ stored: [], duplicates: 0, createdEvents: [] });
    if (this.waitingResults > 0 && this.waitingResults + batch.length > this.maxWaitingResults) {
      return Promise.reject(new WriterOverloadedError(this.waitingResults));
    }
    let digests: string[];
    try {
      digests = batch.map((r) => hash("md5", r.body, "hex"));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.waitingResults += batch.length;
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, digests, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  // Turns are sent one at a time, each after the one before committed, so that a turn's finality proof
  // (INSERT_SQL) can hold. The next turn is sent before the one that just committed is settled
  // (outcomes, relay): PostgreSQL works on it meanwhile instead of waiting for this process.
  private async drain(): Promise<void> {
    this.draining = true;
    let turn = this.startTurn();
    while (turn) {
      let rows: InsertedRow[];
      try {
        rows = await turn.rows;
      } catch (err) {
        await this.retryAlone(turn.group, err);
        turn = this.startTurn();
        continue;
      }
      const next = this.startTurn();
      // pg sends a query from a later tick (pg-pool hands out its client on process.nextTick).
      if (next) await new Promise<void>((resolve) => setImmediate(resolve));
      this.settle(turn, rows);
      turn = next;
    }
    this.draining = false;
  }

  /** One batch must not fail the others of its group: each goes again in a turn of its own. */
  private async retryAlone(group: Waiting[], err: unknown): Promise<void> {
    if (group.length === 1) {
      group[0]!.reject(err);
      return;
    }
    for (const w of group) {
      const turn = this.sendTurn([w]);
      await turn.rows.then((rows) => this.settle(turn, rows), w.reject);
    }
  }

  /** Takes the waiting batches for one turn (up to MAX_GROUP_RESULTS) and sends their statement. */
  private startTurn(): Turn | undefined {
    if (this.waiting.length === 0) return undefined;
    const group: Waiting[] = [this.waiting.shift()!];
    let size = group[0]!.batch.length;
    while (this.waiting.length > 0 && size + this.waiting[0]!.batch.length <= MAX_GROUP_RESULTS) {
      const next = this.waiting.shift()!;
      size += next.batch.length;
      group.push(next);
    }
    this.waitingResults -= size;
    return this.sendTurn(group);
  }

  /** Never throws: whatever goes wrong, even building the statement, comes out as `rows` rejecting. */
  private sendTurn(group: Waiting[]): Turn {
    // A result sent twice in one group counts as stored for the first batch that holds it.
    const owner = new Map<string, { result: ResultToStore; batch: number }>();
    let rows: Promise<InsertedRow[]>;
    try {
      rows = this.insert(group, owner);
    } catch (err) {
      rows = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // Awaited by drain or retryAlone; until then a failure must not count as unhandled.
    rows.catch(() => {});
    return { group, owner, rows };
  }

  private insert(group: Waiting[], owner: Turn["owner"]): Promise<InsertedRow[]> {
    const n = group.reduce((k, w) => k + w.batch.length, 0);
    const msm = new Array<number>(n);
    const prb = new Array<number>(n);
    const ts = new Array<number>(n);
    const type = new Array<string>(n);
    const digest = new Array<string>(n);
    const body = new Array<string>(n);
    let i = 0;
    group.forEach(({ batch, digests }, b) => {
      batch.forEach((r, k) => {
        msm[i] = r.msmId;
        prb[i] = r.prbId;
        ts[i] = r.timestamp;
        type[i] = r.type;
        body[i] = r.body;
        const d = digests[k]!;
        digest[i] = d;
        const key = `${r.prbId}:${r.msmId}:${r.timestamp}:${d}`;
        if (!owner.has(key)) owner.set(key, { result: r, batch: b });
        i++;
      });
    });
    // A prepared statement: planning this one anew took about a tenth of PostgreSQL's time per turn here.
    const send = () =>
      this.pool
        .query<InsertedRow>({ name: "store-results", text: INSERT_SQL, values: [msm, prb, ts, type, digest, joinJsonBytes(body, ",", "[", "]")] })
        .then((r) => r.rows);
    const missingDays = this.missingDays(group);
    return missingDays.size === 0 ? send() : this.ensurePartitions(missingDays).then(send);
  }

  /** A committed turn: the relay hears of it, then each batch gets its own outcome. */
  private settle(turn: Turn, rows: InsertedRow[]): void {
    try {
      this.settleOutcomes(turn, rows);
    } catch (err) {
      for (const w of turn.group) w.reject(err);
    }
  }

  private settleOutcomes({ group, owner }: Turn, rows: InsertedRow[]): void {
    const stored = this.toStored(rows, owner);
    if (rows.length > 0) {
      this.onCommitted?.({
        entries: stored.map((r, k) => ({
          position: r.id, json: r.json, privateTo: r.privateTo, msmId: r.msmId, prbId: r.prbId, timestamp: r.timestamp, type: r.type,
          storedAtMs: Number(rows[k]!.stored_ms),
        })),
        finalAfter: rows[0]!.final_after,
        backendPid: rows[0]!.backend_pid,
      });
    }

    const outcomes: WriteOutcome[] = group.map(({ batch }) => ({ stored: [], duplicates: batch.length, createdEvents: [] }));
    // A created measurement's event goes to the first batch holding one of its results.
    const createdEvents = new Map(
      (JSON.parse(rows[0]?.created_events ?? "[]") as StoredMeasurementEvent[]).map((e) => [e.event.msm_id, e]),
    );
    rows.forEach((row, r) => {
      const { batch } = owner.get(`${row.prb_id}:${row.msm_id}:${row.ts}:${row.digest}`)!;
      const outcome = outcomes[batch]!;
      outcome.stored.push(stored[r]!);
      outcome.duplicates--;
      const created = createdEvents.get(row.msm_id);
      if (created) {
        createdEvents.delete(row.msm_id);
        outcome.createdEvents.push(created);
      }
    });
    group.forEach((w, k) => w.resolve(outcomes[k]!));
  }

  private toStored(rows: InsertedRow[], owner: Map<string, { result: ResultToStore }>): StoredResult[] {
    return rows.map((row) => {
      const source = owner.get(`${row.prb_id}:${row.msm_id}:${row.ts}:${row.digest}`)!.result;
      const storedTimestamp = Number(row.stored_timestamp);
      return {
        id: row.position,
        msmId: row.msm_id,
        prbId: row.prb_id,
        timestamp: Number(row.ts),
        type: source.type,
        storedTimestamp,
        json: withStoredTimestamp(source.body, storedTimestamp),
        privateTo: row.private_to,
      };
    });
  }

  private missingDays(group: readonly Waiting[]): Set<number> {
    const missing = new Set<number>();
    for (const { batch } of group) {
      for (const r of batch) {
        const day = Math.floor(r.timestamp / DAY);
        if (!this.knownDays.has(day)) missing.add(day);
      }
    }
    return missing;
  }

  private async ensurePartitions(days: Set<number>): Promise<void> {
    for (const day of days) {
      const date = new Date(day * DAY * 1000).toISOString().slice(0, 10);
      await this.pool.query("SELECT ensure_results_partition($1::date)", [date]);
      this.knownDays.add(day);
    }
  }
}
