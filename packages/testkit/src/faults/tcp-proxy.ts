import { createServer, connect, type Server, type Socket } from "node:net";
import { freePort } from "./net.js";

/**
 * A loopback TCP proxy in front of a server (e.g. Redis), for faults one client alone sees:
 * `hold()` stops forwarding what clients send (their writes succeed, nothing arrives), `cut()`
 * drops every connection and discards what was held.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private holding = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const port = await freePort();
    const server = createServer((client) => proxy.accept(client, targetPort));
    const proxy = new TcpProxy(server, port);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    if (this.holding) client.pause();
    else client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  hold(): void {
    this.holding = true;
    for (const { client } of this.pairs) {
      client.unpipe();
      client.pause();
    }
  }

  cut(): void {
    this.holding = false;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
