import { Agent, request } from "undici";
import { isPublicAddress, literalAddressOf, publicOnlyLookup, RefusedTargetError } from "./target-guard.js";

export interface SenderSettings {
  /** Whole attempt, connection to the end of the answer's headers and body. */
  timeoutMs: number;
  /** Bytes of an answer read at most: a longer answer is cut off there, and the attempt failed. */
  maxResponseBytes: number;
  /** Loopback, private and link-local targets allowed (self-hosted setups, tests). */
  allowPrivateTargets: boolean;
}

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The receiver's `Retry-After`, in ms, when it gave one. */
  retryAfterMs: number | null;
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return null;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * POSTs to webhook targets with undici: no redirect is followed (a 3xx is a failed attempt), every
 * address is checked after DNS resolution (and an address written in the URL before connecting),
 * answers are read up to a size limit and the whole attempt up to a time limit.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly settings: SenderSettings) {
    this.agent = new Agent({
      connect: settings.allowPrivateTargets ? { timeout: settings.timeoutMs } : { timeout: settings.timeoutMs, lookup: publicOnlyLookup },
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  /** One POST's time limit. */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  get allowsPrivateTargets(): boolean {
    return this.settings.allowPrivateTargets;
  }

  /** Refuses a target URL whose host is a refused address (names are checked at each connection). */
  checkTarget(url: URL): void {
    if (this.settings.allowPrivateTargets) return;
    const literal = literalAddressOf(url);
    if (literal !== null && !isPublicAddress(literal)) throw new RefusedTargetError(literal);
    if (url.hostname === "localhost" || url.hostname.endsWith(".localhost")) throw new RefusedTargetError(url.hostname);
  }

  async post(url: string, headers: Record<string, string>, body: string | Buffer, signal?: AbortSignal): Promise<SendOutcome> {
    const started = performance.now();
    const done = (o: Omit<SendOutcome, "latencyMs">): SendOutcome => ({ ...o, latencyMs: performance.now() - started });
    try {
      this.checkTarget(new URL(url));
      const timeout = AbortSignal.timeout(this.settings.timeoutMs);
      const res = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "probestream-webhooks/1", ...headers },
        body,
        dispatcher: this.agent,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      let read = 0;
      for await (const chunk of res.body) {
        read += (chunk as Buffer).length;
        if (read > this.settings.maxResponseBytes) {
          // A receiver streaming without end must not hold the lane; its answer is no acknowledgement.
          res.body.destroy();
          const error = `the answer exceeded ${this.settings.maxResponseBytes} bytes and was cut off`;
          return done({ ok: false, statusCode: res.statusCode, error, retryAfterMs: null });
        }
      }
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return done({
        ok,
        statusCode: res.statusCode,
        error: ok ? null : `HTTP ${res.statusCode}`,
        retryAfterMs: ok ? null : retryAfterMs(res.headers["retry-after"]),
      });
    } catch (err) {
      return done({ ok: false, statusCode: null, error: describe(err), retryAfterMs: null });
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** A short reason for a failed attempt (what the deliveries list shows); never headers or secrets. */
function describe(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timed out or aborted";
  if (err instanceof RefusedTargetError) return err.message;
  if (e.cause instanceof RefusedTargetError) return e.cause.message;
  return [e.code, e.message].filter(Boolean).join(": ") || "request failed";
}
