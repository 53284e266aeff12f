// Stream event names. Plain constants with no runtime imports: the portal's browser bundle imports this
// module (`@probestream/types/stream-events`).
import type { ProbeStatusCheck } from "./status-check.js";

/** socket.io / WebSocket event names, as RIPE Atlas clients use them. */
export const StreamEvents = {
  subscribe: "atlas_subscribe",
  unsubscribe: "atlas_unsubscribe",
  subscribed: "atlas_subscribed",
  unsubscribed: "atlas_unsubscribed",
  result: "atlas_result",
  probeStatus: "atlas_probestatus",
  metadata: "atlas_metadata",
  error: "atlas_error",
  backlogSent: "atlas_backlog_sent",
  replayFinished: "atlas_replay_finished",
  alert: "atlas_alert",
} as const;

export type StreamEventName = (typeof StreamEvents)[keyof typeof StreamEvents];

/**
 * Payload of `atlas_alert` (an `alert` stream): a probe's status-check entry when its alert state
 * changed, with the measurement's global alert after the change. RIPE Atlas has no such stream; the
 * name follows its `atlas_` events and the fields its status check (`probes["<prb_id>"]`).
 */
export interface AlertEvent extends ProbeStatusCheck {
  msm_id: number;
  prb_id: number;
  global_alert: boolean;
  /** How many of the measurement's probes alert now. */
  alerting_probes: number;
}
