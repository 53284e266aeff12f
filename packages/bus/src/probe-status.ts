import type { ProbeStatusEvent } from "@probestream/types";

/** The bus format of `Channels.probeStatus`: one event per message, as clients see it, in JSON. */
export function encodeProbeStatus(event: ProbeStatusEvent): string {
  return JSON.stringify(event);
}

/** The event of a probe status message; throws on a message that is not one. */
export function decodeProbeStatus(message: string): ProbeStatusEvent {
  const event = JSON.parse(message) as Partial<ProbeStatusEvent> | null;
  if (typeof event?.prb_id !== "number") throw new Error("a probe status message without prb_id");
  return event as ProbeStatusEvent;
}
