import { registerProbe, type TestProbe } from "../probe-client.js";
import { AppProcess } from "./app-process.js";
import { PrivateCluster } from "./postgres-cluster.js";
import { PrivateRedis } from "./redis-server.js";

export const FAULTS_ADMIN_TOKEN = "faults-admin-token";

/**
 * A deployment of its own for one fault test: a throwaway Postgres cluster, a private Redis, and
 * ingest and gateway processes started as an operator starts them. `stop()` ends all of it.
 */
export class Deployment {
  readonly ingests: AppProcess[] = [];
  readonly gateways: AppProcess[] = [];
  private probes = 0;

  private constructor(
    readonly cluster: PrivateCluster,
    readonly redis: PrivateRedis,
  ) {}

  static async start(opts: { ingests?: number; gateways?: number } = {}): Promise<Deployment> {
    const [cluster, redis] = await Promise.all([PrivateCluster.create(), PrivateRedis.start()]);
    const d = new Deployment(cluster, redis);
    try {
      for (let i = 0; i < (opts.ingests ?? 1); i++) await d.startIngest();
      for (let i = 0; i < (opts.gateways ?? 1); i++) await d.startGateway();
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  get env(): Record<string, string> {
    return { DATABASE_URL: this.cluster.url, REDIS_URL: this.redis.url, INGEST_ADMIN_TOKEN: FAULTS_ADMIN_TOKEN };
  }

  async startIngest(extra: Record<string, string> = {}): Promise<AppProcess> {
    const app = await AppProcess.start("ingest", { ...this.env, INGEST_CONTROLLER_NAME: `ctr-${this.ingests.length}`, ...extra });
    this.ingests.push(app);
    return app;
  }

  async startGateway(extra: Record<string, string> = {}): Promise<AppProcess> {
    // The scenarios read the gateways' /metrics, which is off the API port unless opened.
    const app = await AppProcess.start("gateway", { ...this.env, METRICS_OPEN: "1", ...extra });
    this.gateways.push(app);
    return app;
  }

  /** Ingests whose process still runs. */
  liveIngestUrls(): string[] {
    return this.ingests.filter((a) => a.alive).map((a) => a.url);
  }

  /** A newly registered probe (ids from 6001). */
  async probe(): Promise<TestProbe> {
    const url = this.liveIngestUrls()[0];
    if (!url) throw new Error("no ingest runs");
    return registerProbe(url, FAULTS_ADMIN_TOKEN, 6001 + this.probes++);
  }

  async storedCount(msmId: number): Promise<number> {
    const rows = await this.cluster.query<{ n: string }>("SELECT count(*) AS n FROM results WHERE msm_id = $1", [msmId]);
    return Number(rows[0]!.n);
  }

  /** Keys (`prb_id:timestamp`) of the measurement's stored results, and how many rows each has. */
  async storedKeys(msmId: number): Promise<Map<string, number>> {
    const rows = await this.cluster.query<{ key: string; n: string }>(
      "SELECT prb_id || ':' || extract(epoch FROM ts)::bigint AS key, count(*) AS n FROM results WHERE msm_id = $1 GROUP BY 1",
      [msmId],
    );
    return new Map(rows.map((r) => [r.key, Number(r.n)]));
  }

  /** Ends every app (kill -9: their shutdown is not what this tears down), Redis and the cluster. */
  async stop(): Promise<void> {
    await Promise.all([...this.ingests, ...this.gateways].map((a) => a.kill9()));
    await this.redis.stop();
    await this.cluster.destroy();
  }
}
