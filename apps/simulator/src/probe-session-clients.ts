import { io, type Socket } from "socket.io-client";
import { ControllerEvents, PROBE_SOCKET_PATH, backoffDelay } from "@probestream/types";
import { RETRY_BASE_MS } from "./retry.js";
import { FIRMWARE } from "./generators/index.js";
import { Random } from "./random.js";

/** Sessions opened at once: thousands of simultaneous handshakes would swamp ingest. */
const WAVE_SIZE = 200;
const CONNECT_TIMEOUT_MS = 10_000;
/** A session dropped by churn stays away this long (uniformly), as a probe rebooting or losing its line. */
const CHURN_AWAY_MS = [5_000, 30_000] as const;

/** What a session authenticates with (`secret` is read at every (re)connect, so it may change), and who takes its assignments. */
export interface SessionProbe {
  readonly prbId: number;
  readonly secret: string;
  /** The controller's complete list of the probe's measurements, on connect and on every change. */
  assign(list: unknown): void;
}

/**
 * The probes' controller sessions: one socket.io connection each, kept open (and reconnected)
 * while the fleet runs. Ingest marks a probe connected while its session is open, and sends it
 * its assignments there, as it does to a real probe.
 */
export class ProbeSessionClients {
  private readonly sockets: Socket[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  /** First connection attempts still under way: `close()` ends the wait for them. */
  private readonly waiting = new Set<() => void>();
  private closed = false;
  private churnTimer: NodeJS.Timeout | undefined;
  /** Sessions churn has closed so far. */
  churned = 0;

  constructor(
    private readonly ingestUrl: string,
    private readonly warn: (key: string, message: string) => void,
  ) {}

  /** Opens a session per probe, `WAVE_SIZE` at a time; resolves when all have had their first try. */
  async open(probes: readonly SessionProbe[]): Promise<void> {
    for (let start = 0; start < probes.length && !this.closed; start += WAVE_SIZE) {
      await Promise.all(probes.slice(start, start + WAVE_SIZE).map((probe) => this.openOne(probe)));
    }
  }

  connected(): number {
    return this.sockets.reduce((count, socket) => count + (socket.connected ? 1 : 0), 0);
  }

  /**
   * Probes coming and going: every second, enough open sessions to make `sharePerMinute` of the
   * fleet a minute are closed, and each opens again after a while away.
   */
  startChurn(sharePerMinute: number, random = new Random()): void {
    if (!(sharePerMinute > 0) || this.closed) return;
    let owed = 0;
    this.churnTimer = setInterval(() => {
      owed += (sharePerMinute * this.sockets.length) / 60;
      for (; owed >= 1; owed--) {
        const socket = random.pick(this.sockets);
        if (!socket.connected) continue;
        socket.disconnect();
        this.churned++;
        const back = setTimeout(() => {
          this.retries.delete(back);
          socket.connect();
        }, random.between(...CHURN_AWAY_MS));
        this.retries.add(back);
      }
    }, 1000);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.churnTimer);
    for (const timer of this.retries) clearTimeout(timer);
    for (const socket of this.sockets) socket.close();
    for (const settle of this.waiting) settle();
  }

  private openOne(probe: SessionProbe): Promise<void> {
    const socket = io(this.ingestUrl, {
      path: PROBE_SOCKET_PATH,
      transports: ["websocket"],
      // Each probe is its own connection, not a namespace multiplexed on a shared one.
      forceNew: true,
      auth: (send) => send({ prb_id: probe.prbId, secret: probe.secret, firmware: FIRMWARE }),
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
      timeout: CONNECT_TIMEOUT_MS,
    });
    this.sockets.push(socket);
    socket.on(ControllerEvents.assignments, (list: unknown) => probe.assign(list));
    let refusals = 0;
    socket.on("connect", () => {
      refusals = 0;
    });
    socket.on("connect_error", (error) => {
      // A refusal by the server's auth check is final for socket.io; try again later ourselves,
      // by then with the secret a re-registration may have brought.
      if (socket.active || this.closed) return;
      this.warn("session", `probe ${probe.prbId}: session refused: ${error.message}`);
      const retry = setTimeout(() => {
        this.retries.delete(retry);
        socket.connect();
      }, backoffDelay(refusals++, RETRY_BASE_MS, 30_000));
      this.retries.add(retry);
    });
    return new Promise((resolve) => {
      const settle = () => {
        clearTimeout(timer);
        socket.off("connect", settle);
        socket.off("connect_error", settle);
        this.waiting.delete(settle);
        resolve();
      };
      const timer = setTimeout(settle, CONNECT_TIMEOUT_MS);
      this.waiting.add(settle);
      socket.on("connect", settle);
      socket.on("connect_error", settle);
    });
  }
}
