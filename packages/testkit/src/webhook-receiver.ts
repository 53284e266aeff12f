import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A webhook POST as a receiver saw it, and what it answered. */
export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  positions: string[];
  results: Record<string, unknown>[];
  status: number;
  /** Whether the answer was written out (a receiver closed meanwhile answers nothing). */
  answered: boolean;
  /** Unix ms of its arrival. */
  at: number;
  /** Unix ms the exchange ended (answered, or the connection closed), null while it is open. */
  endedAt: number | null;
}

/** What the receiver answers its n-th POST (0-based): a status, after a delay, with headers. */
export type ReceiverBehaviour = (n: number) => { status: number; delayMs?: number; headers?: Record<string, string> };

/**
 * A local HTTP server standing in for a user's webhook endpoint: it keeps every POST and answers
 * as told (fail the first K, answer slowly, ...). It can go away and come back on the same port.
 */
export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  private server: Server | null = null;
  private port = 0;

  private constructor(public behaviour: ReceiverBehaviour) {}

  static async start(behaviour: ReceiverBehaviour = () => ({ status: 200 }), port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(behaviour);
    await receiver.listen(port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Listens again (on the port it had, unless told another). */
  async listen(port = this.port): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const parsed = JSON.parse(body) as { positions: string[]; results: Record<string, unknown>[] };
        const answer = this.behaviour(this.deliveries.length);
        const delivery: ReceivedDelivery = {
          headers: req.headers, body, positions: parsed.positions, results: parsed.results, status: answer.status, answered: false, at: Date.now(),
          endedAt: null,
        };
        res.once("finish", () => (delivery.answered = true));
        res.once("close", () => (delivery.endedAt = Date.now()));
        this.deliveries.push(delivery);
        setTimeout(() => {
          res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
          res.end("ok");
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Goes away: the port refuses connections until `listen` again. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Whether the receiver acknowledged the delivery: answered it with a 2xx. */
  static acknowledged(d: ReceivedDelivery): boolean {
    return d.answered && d.status >= 200 && d.status < 300;
  }

  /** Positions of the results in acknowledged deliveries (of one webhook, when given), in arrival order. */
  acknowledgedPositions(webhookId?: number): string[] {
    return this.of(webhookId).filter(WebhookReceiver.acknowledged).flatMap((d) => d.positions);
  }

  /** The deliveries of one webhook (by its `X-Probestream-Webhook` header), or all. */
  of(webhookId?: number): ReceivedDelivery[] {
    return webhookId === undefined ? this.deliveries : this.deliveries.filter((d) => d.headers["x-probestream-webhook"] === String(webhookId));
  }

  /** Pairs of POSTs of one webhook that were open at the same time (two workers delivering it at once). */
  overlaps(): [ReceivedDelivery, ReceivedDelivery][] {
    const found: [ReceivedDelivery, ReceivedDelivery][] = [];
    this.deliveries.forEach((d, i) => {
      for (const earlier of this.deliveries.slice(0, i)) {
        const sameHook = earlier.headers["x-probestream-webhook"] === d.headers["x-probestream-webhook"];
        if (sameHook && (earlier.endedAt === null || earlier.endedAt > d.at)) found.push([earlier, d]);
      }
    });
    return found;
  }

  /** Positions of every delivery, acknowledged or not, in arrival order. */
  allPositions(): string[] {
    return this.deliveries.flatMap((d) => d.positions);
  }

  /** Waits until `done()` holds (polling), failing after `timeoutMs`. */
  async waitFor(done: () => boolean, timeoutMs = 20_000, what = "webhook deliveries"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${this.deliveries.length} received)`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
