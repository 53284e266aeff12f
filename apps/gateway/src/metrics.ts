import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export class GatewayMetrics {
  readonly sessions: Gauge<"transport">;
  readonly subscriptions: Gauge;
  readonly delivered: Counter;
  readonly deliveredPerSecond: Gauge;
  readonly dropped: Counter;
  readonly gapFills: Counter;
  readonly commitToSendSeconds: Histogram;
  readonly alertsSent: Counter;
  readonly alertCommitToSendSeconds: Histogram;
  private lastDelivered = 0;
  private readonly rateTimer: NodeJS.Timeout;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sessions = new Gauge({
      name: "gateway_stream_sessions",
      help: "Open streaming connections, by transport",
      labelNames: ["transport"],
      registers,
    });
    this.subscriptions = new Gauge({ name: "gateway_stream_subscriptions", help: "Active subscriptions", registers });
    this.delivered = new Counter({
      name: "gateway_results_delivered_total",
      help: "Results sent to streaming clients (one per client reached)",
      registers,
    });
    this.deliveredPerSecond = new Gauge({
      name: "gateway_results_delivered_per_second",
      help: "Results sent to streaming clients per second, over the last 5 s",
      registers,
    });
    this.dropped = new Counter({
      name: "gateway_clients_dropped_total",
      help: "Clients disconnected for reading too slowly",
      registers,
    });
    this.gapFills = new Counter({
      name: "gateway_bus_gap_fills_total",
      help: "Bus outages whose missed results were read from storage",
      registers,
    });
    this.commitToSendSeconds = new Histogram({
      name: "gateway_commit_to_send_seconds",
      help: "From a result's commit in ingest to its send here",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.alertsSent = new Counter({
      name: "gateway_alerts_sent_total",
      help: "Alert events sent to alert-stream clients (one per client reached)",
      registers,
    });
    this.alertCommitToSendSeconds = new Histogram({
      name: "gateway_alert_commit_to_send_seconds",
      help: "From the commit of the result that changed an alert state to the alert's send here",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.rateTimer = setInterval(() => void this.sampleRate(), 5000);
    this.rateTimer.unref();
  }

  private async sampleRate(): Promise<void> {
    const total = (await this.delivered.get()).values[0]?.value ?? 0;
    this.deliveredPerSecond.set((total - this.lastDelivered) / 5);
    this.lastDelivered = total;
  }

  stop(): void {
    clearInterval(this.rateTimer);
  }
}
