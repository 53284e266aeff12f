import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./log.js";

export interface SpoolOptions {
  dir: string;
  /** Results per segment file; a segment is sent as one batch (default 500). */
  batchSize?: number;
  /** Most bytes kept on disk; past it the oldest segments are dropped and counted (default 64 MiB). */
  maxBytes?: number;
  log: Logger;
}

/** A sealed segment handed to the sender; removed from disk only when the controller has it. */
export interface SpoolBatch {
  readonly file: string;
  readonly results: unknown[];
}

interface Segment {
  seq: number;
  count: number;
  bytes: number;
}

const SEGMENT_NAME = /^(\d{12})\.ndjson$/;

/**
 * The on-disk queue between measuring and sending. Every result is appended (and synced) to the
 * open segment before anyone tries to send it; segments are sealed when full or when the sender
 * wants a batch, and deleted only after the controller committed them. A restart finds every
 * segment still on disk and sends it again; ingest drops what it already has.
 */
export class Spool {
  /** Results dropped to stay within `maxBytes` since this spool was opened. */
  dropped = 0;
  private readonly segments: Segment[] = [];
  private open: { segment: Segment; fd: number } | null = null;
  private inFlight: string | null = null;
  private readonly batchSize: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: SpoolOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    mkdirSync(opts.dir, { recursive: true });
    // Segments left by an earlier run are all sealed: new results go to a new one.
    for (const name of readdirSync(opts.dir).sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (!match) continue;
      const text = readFileSync(join(opts.dir, name), "utf8");
      this.segments.push({ seq: Number(match[1]), count: countLines(text), bytes: Buffer.byteLength(text) });
    }
  }

  /** Results on disk, not yet acknowledged by the controller. */
  get pending(): number {
    return this.segments.reduce((sum, segment) => sum + segment.count, 0);
  }

  /** Writes one result durably. */
  append(result: unknown): void {
    const line = `${JSON.stringify(result)}\n`;
    const open = this.open ?? this.startSegment();
    const bytes = Buffer.byteLength(line);
    writeSync(open.fd, line);
    fdatasyncSync(open.fd);
    open.segment.count++;
    open.segment.bytes += bytes;
    if (open.segment.count >= this.batchSize) this.seal();
    this.enforceLimit();
  }

  /** The oldest sealed segment (sealing the open one if nothing else waits), or null when empty. */
  nextBatch(): SpoolBatch | null {
    let oldest = this.segments.find((segment) => segment !== this.open?.segment);
    if (!oldest && this.open && this.open.segment.count > 0) {
      oldest = this.open.segment;
      this.seal();
    }
    if (!oldest) return null;
    const file = this.pathOf(oldest.seq);
    this.inFlight = file;
    return { file, results: this.readSegment(file) };
  }

  /** The controller has the batch (or refused it for good): forget it. */
  remove(batch: SpoolBatch): void {
    if (this.inFlight === batch.file) this.inFlight = null;
    const index = this.segments.findIndex((segment) => this.pathOf(segment.seq) === batch.file);
    if (index >= 0) this.segments.splice(index, 1);
    try {
      unlinkSync(batch.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  /** The batch stays on disk for a later attempt. */
  release(batch: SpoolBatch): void {
    if (this.inFlight === batch.file) this.inFlight = null;
  }

  close(): void {
    this.seal();
  }

  private startSegment(): { segment: Segment; fd: number } {
    const seq = (this.segments[this.segments.length - 1]?.seq ?? 0) + 1;
    const segment: Segment = { seq, count: 0, bytes: 0 };
    this.segments.push(segment);
    this.open = { segment, fd: openSync(this.pathOf(seq), "a") };
    return this.open;
  }

  private seal(): void {
    if (!this.open) return;
    closeSync(this.open.fd);
    if (this.open.segment.count === 0) {
      unlinkSync(this.pathOf(this.open.segment.seq));
      this.segments.splice(this.segments.indexOf(this.open.segment), 1);
    }
    this.open = null;
  }

  private enforceLimit(): void {
    let total = this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
    while (total > this.maxBytes) {
      const victim = this.segments.find((segment) => this.pathOf(segment.seq) !== this.inFlight);
      if (!victim) return;
      if (victim === this.open?.segment) this.seal();
      total -= victim.bytes;
      this.dropped += victim.count;
      this.opts.log.warn({ dropped: victim.count, droppedTotal: this.dropped }, "spool full: oldest results dropped");
      this.segments.splice(this.segments.indexOf(victim), 1);
      try {
        unlinkSync(this.pathOf(victim.seq));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
  }

  private readSegment(file: string): unknown[] {
    const results: unknown[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line === "") continue;
      try {
        results.push(JSON.parse(line));
      } catch {
        // Only the last line of a segment can be torn, by a crash in the middle of a write.
        this.opts.log.warn({ file }, "skipping a torn line in the spool");
      }
    }
    return results;
  }

  private pathOf(seq: number): string {
    return join(this.opts.dir, `${String(seq).padStart(12, "0")}.ndjson`);
  }
}

function countLines(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) count++;
  return count;
}
