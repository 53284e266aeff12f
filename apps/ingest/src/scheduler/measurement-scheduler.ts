import type { Server, Socket } from "socket.io";
import type { FastifyBaseLogger } from "fastify";
import type { Pool } from "@probestream/db";
import { SchedulingStore, type MeasurementRow } from "@probestream/db";
import { Channels, decodeMeasurementEvent, measurementEventOf, publishMeasurementEvents, type MessageBus } from "@probestream/bus";
import { ControllerEvents, MeasurementStatusId } from "@probestream/types";

export interface SchedulerOptions {
  pool: Pool;
  bus: MessageBus;
  /** The probe sessions' socket.io server: probes are told their assignments there. */
  io: Server;
  log: FastifyBaseLogger;
  /** How often unfinished measurements are looked at (default 1 s). */
  intervalMs?: number;
}

/** Specified measurements scheduled per transaction. */
const SCHEDULE_BATCH = 20;

const roomOf = (prbId: number) => `prb:${prbId}`;

/**
 * The controller's scheduling. Every ingest process polls the database for due changes —
 * Specified -> Scheduled (probes chosen) or No suitable probes, Scheduled -> Ongoing at the start
 * time, -> Stopped at the stop time or when a one-off is done — each applied once across processes
 * by the store, and published on the metadata channel. Every process listens to that channel and
 * sends the probes it holds sessions for their new lists, so a change made anywhere (a DELETE or a
 * participation request in a gateway, a transition in another ingest) reaches the probe.
 */
export class MeasurementScheduler {
  private readonly store: SchedulingStore;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly changedMeasurements = new Set<number>();
  private flushing: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.store = new SchedulingStore(opts.pool);
  }

  async start(): Promise<void> {
    this.opts.io.on("connection", (socket) => this.onSession(socket));
    this.unsubscribe = await this.opts.bus.subscribe(Channels.metadata, (message) => this.onMeasurementEvent(message));
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.unsubscribe?.();
    await this.running;
    await this.flushing;
  }

  /** Rounds start every interval; a round that found more to do than a batch is followed at once. */
  private tick(): void {
    const started = Date.now();
    let backlog = false;
    this.running = this.advance()
      .then((more) => void (backlog = more))
      .catch((err: unknown) => this.opts.log.error({ err }, "scheduling failed"))
      .finally(() => {
        const wait = backlog ? 0 : Math.max(0, (this.opts.intervalMs ?? 1000) - (Date.now() - started));
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), wait);
      });
  }

  /**
   * One round of due state changes, each stored with its event and then published. Returns whether
   * Specified measurements are left over (the batch was full): a burst of creations is scheduled at
   * the database's pace, not a batch a second.
   */
  private async advance(): Promise<boolean> {
    const { store } = this;
    const scheduled = await store.scheduleSpecified(eventsOfStateChange, SCHEDULE_BATCH);
    await publishMeasurementEvents(this.opts.bus, scheduled.events);
    for (const change of [() => store.startDue(eventsOfStateChange), () => store.stopDue(eventsOfStateChange)]) {
      await publishMeasurementEvents(this.opts.bus, (await change()).events);
    }
    return scheduled.rows.length === SCHEDULE_BATCH;
  }

  private onSession(socket: Socket): void {
    const prbId = socket.data.prbId as number;
    void socket.join(roomOf(prbId));
    this.store.assignmentsOf([prbId]).then(
      (lists) => socket.emit(ControllerEvents.assignments, lists.get(prbId) ?? []),
      (err: unknown) => this.opts.log.error({ err, prbId }, "reading assignments failed"),
    );
  }

  private onMeasurementEvent(message: string): void {
    let msmId: number;
    try {
      msmId = decodeMeasurementEvent(message).event.msm_id;
    } catch {
      return;
    }
    this.changedMeasurements.add(msmId);
    this.requestNotification();
  }

  /** Events come in bursts (one per measurement of a request, per transition): one pass serves a burst. */
  private requestNotification(): void {
    if (this.flushing || this.stopped) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.notifyProbes())
      .catch((err: unknown) => this.opts.log.error({ err }, "telling probes their assignments failed"))
      .finally(() => {
        this.flushing = null;
        if (this.changedMeasurements.size > 0) this.requestNotification();
      });
  }

  /** Sends a new list to each probe connected here that runs or ran a changed measurement. */
  private async notifyProbes(): Promise<void> {
    const msmIds = [...this.changedMeasurements];
    this.changedMeasurements.clear();
    const rooms = this.opts.io.sockets.adapter.rooms;
    const probes = new Set<number>();
    for (const msmId of msmIds) {
      for (const prbId of await this.store.probesOf(msmId)) if (rooms.has(roomOf(prbId))) probes.add(prbId);
    }
    if (probes.size === 0) return;
    const lists = await this.store.assignmentsOf([...probes]);
    for (const [prbId, list] of lists) this.opts.io.to(roomOf(prbId)).emit(ControllerEvents.assignments, list);
  }
}

/** A scheduler's state change tells `stopped` when it stopped the measurement, else `changed`. */
function eventsOfStateChange(rows: MeasurementRow[]) {
  return rows.map((m) => measurementEventOf(m, m.status === MeasurementStatusId.Stopped ? "stopped" : "changed"));
}
