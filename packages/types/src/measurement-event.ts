import { Type, type Static } from "typebox";

/** Measurement status, as RIPE Atlas numbers them. */
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

/**
 * Payload of `atlas_metadata`: a measurement was created, changed or stopped. (The reference
 * documents no schema for it; this one is ours.)
 */
export const MeasurementEvent = Type.Object(
  {
    msm_id: Type.Integer({ minimum: 1 }),
    event: Type.Union([Type.Literal("created"), Type.Literal("changed"), Type.Literal("stopped")]),
    timestamp: Type.Integer({ description: "Unix seconds" }),
    type: Type.String({ description: "Result type of the measurement" }),
    status: Type.Object({ id: Type.Integer(), name: Type.String() }),
    is_public: Type.Boolean(),
  },
  { additionalProperties: true },
);
export type MeasurementEvent = Static<typeof MeasurementEvent>;
