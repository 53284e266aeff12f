import { io, type Socket } from "socket.io-client";
import { Backoff, ControllerEvents, PROBE_SOCKET_PATH } from "@probestream/types";
import type { Logger } from "./log.js";
import { parseAssignments, type Assignment } from "./scheduler.js";

export interface ControllerSessionOptions {
  ingestUrl: string;
  prbId: number;
  secret: string;
  firmware: number;
  addresses: { v4?: string; v6?: string };
  log: Logger;
  /** The controller's full list of this probe's measurements, on connect and on every change. */
  onAssignments(assignments: Assignment[]): void;
  onConnect?(): void;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
}

/**
 * The probe's one persistent session with its controller (socket.io at `/probe/socket.io`). It
 * authenticates with the probe's secret and reports firmware and addresses in the handshake. Every
 * loss — transport drop, refused handshake, controller restart — is followed by a reconnect after
 * an exponential back-off with jitter, so a fleet does not return in one wave.
 */
export class ControllerSession {
  private readonly socket: Socket;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: ControllerSessionOptions) {
    this.backoff = new Backoff(opts.reconnectBaseMs ?? 1000, opts.reconnectMaxMs ?? 60_000);
    const auth: Record<string, unknown> = { prb_id: opts.prbId, secret: opts.secret, firmware: opts.firmware };
    if (opts.addresses.v4 !== undefined) auth.address_v4 = opts.addresses.v4;
    if (opts.addresses.v6 !== undefined) auth.address_v6 = opts.addresses.v6;
    this.socket = io(opts.ingestUrl, {
      path: PROBE_SOCKET_PATH,
      auth,
      transports: ["websocket"],
      // Reconnection is ours: socket.io gives up after a refused handshake, a probe must not.
      reconnection: false,
      autoConnect: false,
      timeout: 20_000,
    });
    this.socket.on("connect", () => {
      this.backoff.reset();
      opts.log.info({ controller: opts.ingestUrl }, "connected to controller");
      opts.onConnect?.();
    });
    this.socket.on("connect_error", (err) => {
      opts.log.warn({ err }, "controller connection failed");
      this.scheduleReconnect();
    });
    this.socket.on("disconnect", (reason) => {
      if (this.closed) return;
      opts.log.warn({ reason }, "controller connection lost");
      this.scheduleReconnect();
    });
    this.socket.on(ControllerEvents.assignments, (list: unknown) => {
      const assignments = parseAssignments(list, opts.log);
      if (assignments) opts.onAssignments(assignments);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  start(): void {
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, delay);
  }
}
