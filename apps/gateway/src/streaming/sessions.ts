import type { GatewayMetrics } from "../metrics.js";
import type { StreamLimits } from "./limits.js";
import type { StreamSession } from "./session.js";

/**
 * The open connections and their limits: how many per address, how long without a subscription,
 * how many bytes unsent. Detaching a session hands its subscriptions to `dropAll` to be removed.
 */
export class Sessions {
  private readonly open = new Set<StreamSession>();
  private readonly perAddress = new Map<string, number>();
  private readonly idleSince = new Map<StreamSession, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: StreamLimits,
    private readonly metrics: GatewayMetrics,
    private readonly dropAll: (session: StreamSession) => void,
  ) {}

  start(): void {
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(5000, this.limits.idleMs));
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const session of this.open) this.detach(session);
  }

  /** Whether another connection from this address is allowed. */
  admits(address: string): boolean {
    return (this.perAddress.get(address) ?? 0) < this.limits.sessionsPerAddress;
  }

  attach(session: StreamSession): void {
    this.open.add(session);
    this.perAddress.set(session.address, (this.perAddress.get(session.address) ?? 0) + 1);
    this.idleSince.set(session, Date.now());
    this.metrics.sessions.inc({ transport: session.transport.name });
  }

  detach(session: StreamSession): void {
    if (!this.open.delete(session)) return;
    session.closed = true;
    this.dropAll(session);
    this.idleSince.delete(session);
    const n = (this.perAddress.get(session.address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(session.address, n);
    else this.perAddress.delete(session.address);
    this.metrics.sessions.dec({ transport: session.transport.name });
  }

  /** The session has a subscription: it is not idle. */
  busy(session: StreamSession): void {
    this.idleSince.delete(session);
  }

  /** The session's last subscription ended: idle from now. */
  idle(session: StreamSession): void {
    if (this.open.has(session)) this.idleSince.set(session, Date.now());
  }

  /** Warns a client holding too much unsent, and cuts it off past the limit, so it cannot grow our memory. */
  checkSlow(session: StreamSession): void {
    const buffered = session.bufferedBytes();
    const { slowClientWarnBytes, slowClientDropBytes } = this.limits;
    if (buffered > slowClientDropBytes) {
      this.metrics.dropped.inc();
      this.detach(session);
      session.close(true);
    } else if (buffered > slowClientWarnBytes && !session.warnedSlow) {
      session.warnedSlow = true;
      session.error(`client reads too slowly: ${buffered} bytes unsent; it will be disconnected past ${slowClientDropBytes}`, undefined, "slow_client");
    } else if (buffered < slowClientWarnBytes / 2) session.warnedSlow = false;
  }

  private closeIdle(): void {
    const limit = Date.now() - this.limits.idleMs;
    for (const [session, since] of this.idleSince) {
      if (since > limit) continue;
      session.error(`no subscription for ${Math.round(this.limits.idleMs / 1000)} s: closing`, undefined, "idle");
      this.detach(session);
      session.close();
    }
  }
}
