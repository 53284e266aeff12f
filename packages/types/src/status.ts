// Status ids and names as RIPE Atlas numbers them. Plain constants with no imports: the portal's
// browser bundle imports this module (`@probestream/types/status`).

/** Measurement status names by id. */
export const MeasurementStatus = {
  0: "Specified",
  1: "Scheduled",
  2: "Ongoing",
  4: "Stopped",
  5: "Forced to stop",
  6: "No suitable probes",
  7: "Failed",
  8: "Archived",
} as const;

/** Measurement status ids by name, for code that sets or tests a status. */
export const MeasurementStatusId = {
  Specified: 0,
  Scheduled: 1,
  Ongoing: 2,
  Stopped: 4,
  ForcedToStop: 5,
  NoSuitableProbes: 6,
  Failed: 7,
  Archived: 8,
} as const;

/** Probe status names by id. */
export const ProbeStatusNames = { 0: "Never Connected", 1: "Connected", 2: "Disconnected", 3: "Abandoned" } as const;

/** Probe status ids by name. */
export const ProbeStatusId = { NeverConnected: 0, Connected: 1, Disconnected: 2, Abandoned: 3 } as const;

/** The name of a measurement status id, undefined for an id RIPE Atlas does not define. */
export function measurementStatusName(id: number): string | undefined {
  return (MeasurementStatus as Record<number, string>)[id];
}
