import { measurementStatusName, type MeasurementEvent } from "@probestream/types";

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

/** The message telling about a measurement: private ones reach only their owner's subscribers. */
export function encodeMeasurementEvent(m: MeasurementState, event: MeasurementEvent["event"]): string {
  const published: PublishedMeasurementEvent = {
    privateTo: m.is_public ? null : (m.owner_id ?? 0),
    event: {
      msm_id: m.id,
      event,
      timestamp: Math.floor(Date.now() / 1000),
      type: m.type,
      status: { id: m.status, name: measurementStatusName(m.status) ?? "Unknown" },
      is_public: m.is_public,
    },
  };
  return JSON.stringify(published);
}

/** The event of a measurement event message; throws on a message that is not one. */
export function decodeMeasurementEvent(message: string): PublishedMeasurementEvent {
  const published = JSON.parse(message) as Partial<PublishedMeasurementEvent> | null;
  if (typeof published?.event?.msm_id !== "number") throw new Error("a measurement event message without msm_id");
  return { privateTo: published.privateTo ?? null, event: published.event };
}
