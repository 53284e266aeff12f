import { measurementStatusName, privateToOf, type MeasurementEvent } from "@probestream/types";
import { Channels, type MessageBus } from "./message-bus.js";

/**
 * The bus format of `Channels.metadata`, in JSON: a measurement event as clients see it, and who
 * may see it.
 */
export interface PublishedMeasurementEvent {
  /** Owner of the private measurement, null when public. */
  privateTo: number | null;
  event: MeasurementEvent;
}

/** What a measurement event tells about a measurement (a stored row has these fields). */
export interface MeasurementState {
  id: number;
  type: string;
  status: number;
  is_public: boolean;
  owner_id: number | null;
}

/** The message of a measurement event. */
export function encodeMeasurementEvent(published: PublishedMeasurementEvent): string {
  return JSON.stringify(published);
}

/**
 * Tells streams and schedulers about measurement changes, once the change and its events (built by
 * measurementEventOf, stored in its transaction: the log webhooks deliver from) have committed.
 */
export async function publishMeasurementEvents(bus: MessageBus, events: readonly PublishedMeasurementEvent[]): Promise<void> {
  for (const published of events) await bus.publish(Channels.metadata, encodeMeasurementEvent(published));
}

/** The event telling about a measurement: private ones reach only their owner's subscribers. */
export function measurementEventOf(m: MeasurementState, event: MeasurementEvent["event"]): PublishedMeasurementEvent {
  return {
    privateTo: privateToOf(m),
    event: {
      msm_id: m.id,
      event,
      timestamp: Math.floor(Date.now() / 1000),
      type: m.type,
      status: { id: m.status, name: measurementStatusName(m.status) ?? "Unknown" },
      is_public: m.is_public,
    },
  };
}

/** The event of a measurement event message; throws on a message that is not one. */
export function decodeMeasurementEvent(message: string): PublishedMeasurementEvent {
  const published = JSON.parse(message) as Partial<PublishedMeasurementEvent> | null;
  if (typeof published?.event?.msm_id !== "number") throw new Error("a measurement event message without msm_id");
  return { privateTo: published.privateTo ?? null, event: published.event };
}
