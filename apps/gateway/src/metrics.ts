import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export class GatewayMetrics {
  readonly sockets: Gauge;
  readonly subscriptions: Gauge;
  readonly delivered: Counter;
  readonly storeToSendSeconds: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sockets = new Gauge({ name: "gateway_stream_sockets", help: "Open streaming connections", registers });
    this.subscriptions = new Gauge({ name: "gateway_stream_subscriptions", help: "Active subscriptions", registers });
    this.delivered = new Counter({
      name: "gateway_results_delivered_total",
      help: "Results sent to streaming clients (one per client)",
      registers,
    });
    this.storeToSendSeconds = new Histogram({
      name: "gateway_store_to_send_seconds",
      help: "From a result's stored_timestamp (whole seconds) to its send",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
  }
}
