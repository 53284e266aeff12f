import { Rights, StreamEvents } from "@probestream/types";
import type { HistoryFilter, HistoryRow, StreamHistory } from "@probestream/db";
import { Frame } from "./frame.js";
import type { Subscription } from "./subscription.js";

/** History reads wait while a client holds more than this unsent (half the slow-client warning). */
const HISTORY_HIGH_WATER = 512 * 1024;
/** How often a waiting history read looks again: a fast client empties the high water in about this. */
const HISTORY_RECHECK_MS = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a result subscription starts with stored results: replay, resume or backlog. */
export function readsHistory(sub: Subscription): boolean {
  const p = sub.params;
  return p.streamType === "result" && (p.startTime !== undefined || p.resumeFrom !== undefined || p.sendBacklog);
}

/**
 * Replay (`startTime`, paced by `speed`, until `endTime`), resume (`resumeFrom`) and backlog
 * (`sendBacklog`): stored results in order, paced by the client's reading, then the hand-over to
 * live. The subscription is in the live index (in history mode) before reading starts, so that
 * what is committed meanwhile is held and the switch has no gap and no duplicate.
 */
export class Replay {
  constructor(
    private readonly history: StreamHistory,
    private readonly backlogSeconds: number,
    /** Ends a subscription whose replay is over. */
    private readonly finish: (sub: Subscription) => void,
  ) {}

  async read(sub: Subscription): Promise<void> {
    const p = sub.params;
    const filter = filterOf(sub);
    const started = Date.now();
    // Replay pacing: a result of time ts is due (ts - startTime) / speed seconds after the start.
    const paced = p.startTime !== undefined && p.speed !== undefined && p.speed > 0;
    // Resolves at once (no await) unless the row is not due yet or the client's buffer is full.
    const pace = (row: HistoryRow): Promise<void> | undefined => {
      const wait = paced ? started + ((row.ts - p.startTime!) / p.speed!) * 1000 - Date.now() : 0;
      if (wait <= 0 && sub.session.bufferedBytes() <= HISTORY_HIGH_WATER) return undefined;
      return (async () => {
        if (wait > 0) await sleep(wait);
        while (!sub.ended && sub.session.bufferedBytes() > HISTORY_HIGH_WATER) await sleep(HISTORY_RECHECK_MS);
      })();
    };
    const deliver = async (pages: AsyncGenerator<HistoryRow[]>): Promise<string | null> => {
      let last: string | null = null;
      for await (const page of pages) {
        for (const row of page) {
          if (sub.ended) return last;
          last = row.id;
          const frame = Frame.ofJson(StreamEvents.result, row.json, { position: row.id });
          if (!sub.accepts(row.ts, () => frame.payload as Record<string, unknown>)) continue;
          const waiting = pace(row);
          if (waiting) await waiting;
          if (sub.ended) return last;
          sub.send(frame, row.id);
        }
      }
      return last;
    };

    let lastId: string;
    let minTs: number | undefined;
    if (p.resumeFrom !== undefined) {
      lastId = p.resumeFrom;
    } else {
      const upTo = await this.history.newestPosition();
      minTs = p.startTime ?? Math.floor(Date.now() / 1000) - this.backlogSeconds;
      await deliver(this.history.byTime(filter, minTs, p.endTime, upTo));
      lastId = upTo;
      // An end still to come: the replay goes on with live results until then.
      if (p.endTime !== undefined && p.endTime * 1000 <= Date.now()) return this.finishReplay(sub, started);
    }
    // Catch up in commit order until the held live results connect without a gap.
    for (;;) {
      const last = await deliver(this.history.afterPosition(filter, lastId, minTs));
      if (sub.ended) return;
      if (last !== null) lastId = last;
      if (!sub.takeOverflow()) break;
    }
    sub.goLive(lastId);
    sub.flush();
    if (p.endTime !== undefined) {
      const endsIn = Math.max(0, p.endTime * 1000 + 1000 - Date.now());
      setTimeout(() => {
        if (!sub.ended) this.finishReplay(sub, started);
      }, endsIn).unref();
    } else if (p.startTime !== undefined) {
      sub.session.send(Frame.of(StreamEvents.replayFinished, replayCounts(sub, started, true)));
    } else if (p.sendBacklog) {
      sub.session.send(Frame.of(StreamEvents.backlogSent, { count: sub.delivered }));
    }
  }

  private finishReplay(sub: Subscription, started: number): void {
    sub.flush();
    sub.session.send(Frame.of(StreamEvents.replayFinished, replayCounts(sub, started, false)));
    this.finish(sub);
  }
}

/** The indexed part of the subscription, and whose private measurements its caller may read. */
function filterOf(sub: Subscription): HistoryFilter {
  const caller = sub.session.caller;
  return {
    msm: sub.params.msm,
    prb: sub.params.prb,
    type: sub.params.type,
    readerId: caller.rights.has(Rights.readPrivateResults) ? caller.userId : null,
  };
}

function replayCounts(sub: Subscription, started: number, live: boolean) {
  return {
    count: sub.delivered,
    startTime: sub.params.startTime,
    endTime: sub.params.endTime ?? null,
    speed: sub.params.speed,
    durationMs: Date.now() - started,
    live,
  };
}
