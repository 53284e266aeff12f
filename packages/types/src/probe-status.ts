import { Type, type Static } from "typebox";

/** Payload of `atlas_probestatus`: a probe connected to or disconnected from a controller. */
export const ProbeStatusEvent = Type.Object(
  {
    prb_id: Type.Integer({ minimum: 1 }),
    type: Type.Literal("connection"),
    event: Type.Enum(["connect", "disconnect"]),
    timestamp: Type.Integer({ minimum: 0, description: "Unix seconds" }),
    controller: Type.String(),
    asn: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    prefix: Type.Union([Type.String(), Type.Null()]),
    country: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);

export type ProbeStatusEvent = Static<typeof ProbeStatusEvent>;
