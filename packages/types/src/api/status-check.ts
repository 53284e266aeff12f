import { Type, type Static } from "typebox";
import { ALERT_REASONS, MAX_LOOKBACK, STATUS_CHECK_DEFAULTS as D, type StatusCheckOptions } from "../status-check.js";

const RCODE_LIST = "^\\s*[A-Za-z0-9]+(\\s*,\\s*[A-Za-z0-9]+)*\\s*$";

/**
 * The parameters of a status check, RIPE's and this server's extensions: the REST endpoint's query
 * and an alert stream's subscription take the same ones.
 */
export const StatusCheckParams = Type.Object(
  {
    max_packet_loss: Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: D.maxPacketLoss, description: "A probe alerts when its latest packet loss (percent) is above this" })),
    show_all: Type.Optional(Type.Boolean({ default: false, description: "Show every probe's RTTs (`all`), not only alerting probes'" })),
    permitted_total_alerts: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: D.permittedTotalAlerts, description: "The global alert is on when more probes than this alert" })),
    lookback: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LOOKBACK, default: D.lookback, description: "How many of each probe's newest results the median RTT is taken over" })),
    median_rtt_threshold: Type.Optional(Type.Number({ minimum: 0, description: "ms: a probe alerts when its latest RTT exceeds the median of the lookback by more than this" })),
    dns_rcodes: Type.Optional(Type.String({ pattern: RCODE_LIST, default: D.dnsRcodes.join(","), description: "DNS (extension): response codes that do not alert, comma-separated" })),
    http_alert_status: Type.Optional(Type.Integer({ minimum: 100, maximum: 999, default: D.httpAlertStatus, description: "HTTP (extension): a response status at or above this alerts" })),
    cert_expiry_days: Type.Optional(Type.Number({ minimum: 0, default: D.certExpiryDays, description: "sslcert (extension): a certificate expiring in fewer days than this alerts" })),
  },
  { additionalProperties: false },
);
export type StatusCheckParams = Static<typeof StatusCheckParams>;

export const StatusCheckQuery = Type.Object(
  {
    ...StatusCheckParams.properties,
    format: Type.Optional(Type.Enum(["json", "prometheus"], { default: "json", description: "`prometheus`: per-probe gauges in the text exposition format" })),
    key: Type.Optional(Type.String({ description: "API key" })),
  },
  { additionalProperties: false },
);
export type StatusCheckQuery = Static<typeof StatusCheckQuery>;

const Rtt = Type.Union([Type.Number(), Type.Null()]);

export const StatusCheckProbe = Type.Object({
  alert: Type.Boolean(),
  last: Type.Union([Type.Number(), Type.Null()], { description: "The latest result's RTT in ms (ping: its average)" }),
  last_packet_loss: Type.Union([Type.Number(), Type.Null()], { description: "The latest result's loss in percent" }),
  source: Type.String({ description: "Where the probe is, e.g. `Country: NL`" }),
  all: Type.Optional(Type.Array(Rtt, { description: "RTT of each reply of the lookback results, oldest first; null for a lost one" })),
  alert_reasons: Type.Optional(Type.Array(Type.Enum([...ALERT_REASONS]))),
});

export const StatusCheckResponse = Type.Object({
  global_alert: Type.Boolean(),
  probes: Type.Record(Type.String({ pattern: "^[0-9]+$" }), StatusCheckProbe),
});

/** The computation's options from (validated) parameters, defaults for those not given. */
export function statusCheckOptions(p: StatusCheckParams): StatusCheckOptions {
  const options: StatusCheckOptions = {
    maxPacketLoss: p.max_packet_loss ?? D.maxPacketLoss,
    showAll: p.show_all ?? D.showAll,
    permittedTotalAlerts: p.permitted_total_alerts ?? D.permittedTotalAlerts,
    lookback: p.lookback ?? D.lookback,
    dnsRcodes: p.dns_rcodes === undefined ? D.dnsRcodes : p.dns_rcodes.split(",").map((c) => c.trim().toUpperCase()),
    httpAlertStatus: p.http_alert_status ?? D.httpAlertStatus,
    certExpiryDays: p.cert_expiry_days ?? D.certExpiryDays,
  };
  if (p.median_rtt_threshold !== undefined) options.medianRttThreshold = p.median_rtt_threshold;
  return options;
}
