import type { FastifyBaseLogger } from "fastify";
import {
  listenForCommits, newestFinalPosition, positionAfter, readFinalAfter, relayPosition, saveRelayPosition, tryTakeRelayLock,
  type CommittedTurn, type LogEntry,
  type Pool, type PoolClient,
} from "@probestream/db";
import { Channels, encodeResultBatch, type MessageBus } from "@probestream/bus";
import type { IngestMetrics } from "./metrics.js";

export interface ResultRelayOptions {
  pool: Pool;
  bus: MessageBus;
  log: FastifyBaseLogger;
  metrics: IngestMetrics;
  /** Most results read from the log in one round. */
  readLimit?: number;
  /** Most results in one bus message. */
  messageLimit?: number;
  /** How often a process that is not the relay asks to become it, and a failed round is retried (ms). */
  retryMs?: number;
}

/** The relay's saved position (result_log_relay); one relay per database at a time, whoever holds its lock. */
const RELAY_NAME = "results";
/**
 * The log is read at least this often: every commit notifies, or (this process's own) hands its
 * rows over, so this is only the fallback when a notification was missed.
 */
const READ_EVERY_MS = 1000;
/** This process's turns waiting to be published at most; past it they are read from the log instead. */
const MAX_OWN_TURNS = 256;
/** Backends of this process's writer remembered at most (a pool's connections come and go). */
const MAX_WRITER_BACKENDS = 256;
/**
 * How often the published position is saved. It is only where a successor resumes, and gateways
 * recognise a re-published result by its position, so saving it off the publishing path, a few
 * times a second, costs a successor a few re-sent messages and the live path nothing.
 */
const SAVE_EVERY_MS = 250;

/**
 * Publishes the committed log to the bus, in log order, from where the last relay stopped. Every
 * ingest process runs one; the one holding the relay lock works, the others wait to take over
 * (a relay that dies releases the lock with its connection). Probes are acknowledged once their
 * results are committed, whatever the bus does: a bus outage delays publishing, it loses nothing,
 * since publishing goes on from the saved position, and a re-published batch is recognised by its
 * positions. Each commit wakes the relay through LISTEN/NOTIFY; this process's own commits hand
 * their rows over (committed()).
 */
export class ResultRelay {
  private leader: PoolClient | null = null;
  private cursor = "";
  private stopping = false;
  private wake: (() => void) | null = null;
  private notified = false;
  private running: Promise<void> | null = null;
  private savedCursor = "";
  private lastSaveMs = 0;
  private saving: Promise<void> | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  /** Turns of this process's writer whose statement proved them final, in commit order. */
  private readonly ownTurns: CommittedTurn[] = [];
  /** PostgreSQL backends this process's writer commits on: their notifications come with a turn. */
  private readonly writerBackends = new Set<number>();
  private readNeeded = true;
  private lastReadMs = 0;
  private readonly readLimit: number;
  private readonly messageLimit: number;
  private readonly retryMs: number;

  constructor(private readonly opts: ResultRelayOptions) {
    this.readLimit = opts.readLimit ?? 5000;
    this.messageLimit = opts.messageLimit ?? 1000;
    this.retryMs = opts.retryMs ?? 1000;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.running;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.saving;
    if (this.leader && this.cursor !== this.savedCursor) await this.savePosition().catch((err: unknown) => this.opts.log.warn({ err }, "saving the relay position failed"));
    this.resign();
  }

  /**
   * This process committed a turn. When its statement proved the rows final, the relay publishes
   * them as they are, with no read of the log: the read back was most of the commit-to-publish
   * time while the process also serves sockets (bench/README.md). Otherwise the log is read. In a
   * process that does not lead, the commit's notification wakes the relay where it leads.
   */
  committed(turn: CommittedTurn): void {
    if (this.writerBackends.size >= MAX_WRITER_BACKENDS) this.writerBackends.clear();
    this.writerBackends.add(turn.backendPid);
    if (!this.leader) return;
    if (turn.finalAfter === null || this.ownTurns.length >= MAX_OWN_TURNS) this.readNeeded = true;
    else this.ownTurns.push(turn);
    this.notify();
  }

  /** Whether this process is the relay now. */
  get leading(): boolean {
    return this.leader !== null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (!this.leader && !(await this.lead())) {
          await this.pause(this.retryMs);
          continue;
        }
        await this.round();
        if (!this.readNeeded && this.ownTurns.length === 0) await this.pause(READ_EVERY_MS);
      } catch (err) {
        // What a failed round left unpublished is read back from the log.
        this.readNeeded = true;
        if (!this.stopping) this.opts.log.error({ err }, "relaying committed results failed; retrying");
        this.opts.metrics.publishFailures.inc();
        await this.pause(this.retryMs);
      }
    }
  }

  /** Publishes this process's proven turns, then, when needed, what the log holds after the cursor. */
  private async round(): Promise<void> {
    await this.publishOwnTurns();
    if (this.readNeeded || Date.now() - this.lastReadMs >= READ_EVERY_MS) {
      this.readNeeded = false;
      this.lastReadMs = Date.now();
      const entries = await readFinalAfter(this.opts.pool, this.cursor, this.readLimit);
      await this.publishAll(entries, "log");
      if (entries.length === this.readLimit) this.readNeeded = true;
    }
    this.saveSoon();
  }

  /**
   * A proven turn follows the cursor directly when the last row before it has been published; what
   * the cursor has passed (published by a read) is skipped. A turn that does not follow it waits for
   * a read of the log, which publishes the rows between them.
   */
  private async publishOwnTurns(): Promise<void> {
    while (this.ownTurns.length > 0) {
      const turn = this.ownTurns[0]!;
      const fresh = turn.entries.filter((e) => positionAfter(e.position, this.cursor));
      if (fresh.length > 0 && positionAfter(turn.finalAfter!, this.cursor)) {
        this.readNeeded = true;
        return;
      }
      this.ownTurns.shift();
      await this.publishAll(fresh, "commit");
    }
  }

  private async publishAll(entries: LogEntry[], source: "commit" | "log"): Promise<void> {
    for (let i = 0; i < entries.length; i += this.messageLimit) {
      const part = entries.slice(i, i + this.messageLimit);
      await this.publish(part);
      this.cursor = part[part.length - 1]!.position;
      this.opts.metrics.relayed.inc({ source }, part.length);
    }
  }

  /**
   * Saves the position in the background, one save at a time and at most every SAVE_EVERY_MS: a
   * position published sooner is saved when that time is up (or by the save in progress's successor).
   */
  private saveSoon(): void {
    if (this.saving || this.saveTimer || this.cursor === this.savedCursor) return;
    const wait = this.lastSaveMs + SAVE_EVERY_MS - Date.now();
    if (wait > 0) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = null;
        if (this.leader) this.saveSoon();
      }, wait);
      return;
    }
    this.saving = this.savePosition()
      .catch((err: unknown) => this.opts.log.warn({ err }, "saving the relay position failed; saved again later"))
      .finally(() => {
        this.saving = null;
        if (this.leader && !this.stopping) this.saveSoon();
      });
  }

  private async savePosition(): Promise<void> {
    const position = this.cursor;
    this.lastSaveMs = Date.now();
    await saveRelayPosition(this.opts.pool, RELAY_NAME, position);
    this.savedCursor = position;
  }

  private async publish(part: LogEntry[]): Promise<void> {
    const message = encodeResultBatch(
      part.map((e) => ({ id: e.position, privateTo: e.privateTo, msmId: e.msmId, prbId: e.prbId, timestamp: e.timestamp, type: e.type, json: e.json })),
      this.cursor,
      part[part.length - 1]!.storedAtMs,
    );
    await this.opts.bus.publish(Channels.results, message);
  }

  /** Takes the relay lock if free; on success listens for commits and resumes from the saved position. */
  private async lead(): Promise<boolean> {
    const client = await this.opts.pool.connect();
    try {
      if (!(await tryTakeRelayLock(client))) {
        client.release();
        return false;
      }
      client.on("notification", (msg) => {
        // This process's writer hands its turns over itself (committed()).
        if (this.writerBackends.has(msg.processId)) return;
        this.readNeeded = true;
        this.notify();
      });
      client.on("error", (err) => {
        this.opts.log.warn({ err }, "the relay lost its connection: another process (or this one, later) takes over");
        this.resign(err);
      });
      await listenForCommits(client);
      this.cursor = (await relayPosition(this.opts.pool, RELAY_NAME)) ?? (await newestFinalPosition(this.opts.pool));
      this.savedCursor = this.cursor;
      this.readNeeded = true;
    } catch (err) {
      // Closing the connection releases the lock, if it was taken.
      client.release(err as Error);
      throw err;
    }
    this.leader = client;
    this.opts.log.info({ position: this.cursor }, "relaying committed results to the bus");
    return true;
  }

  /** Gives the relay up: the connection is closed, which releases the lock for another process. */
  private resign(err?: Error): void {
    const client = this.leader;
    this.leader = null;
    this.ownTurns.length = 0;
    client?.release(err ?? new Error("relay stopped"));
  }

  /** A commit happened: a pause in progress ends, and the next one does not begin. */
  private notify(): void {
    this.notified = true;
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    if (this.notified || this.stopping) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
