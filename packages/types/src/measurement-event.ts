import { Type, type Static } from "typebox";

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
