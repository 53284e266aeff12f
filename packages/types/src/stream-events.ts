// Stream event names. Plain constants with no imports: the portal's browser bundle imports this
// module (`@probestream/types/stream-events`).

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
} as const;

export type StreamEventName = (typeof StreamEvents)[keyof typeof StreamEvents];
