import { Type, type Static } from "typebox";
import { USER_TAG_PATTERN } from "./probe-tags.js";

/**
 * What a probe sends to register. Without `prb_id` the platform assigns one; the
 * response carries the id and the secret the probe signs its uploads with.
 */
export const ProbeRegistration = Type.Object({
  prb_id: Type.Optional(Type.Integer({ minimum: 1 })),
  asn_v4: Type.Optional(Type.Integer({ minimum: 0 })),
  prefix_v4: Type.Optional(Type.String()),
  country_code: Type.Optional(Type.String({ pattern: "^[A-Za-z]{2}$" })),
  address_v4: Type.Optional(Type.String({ format: "ipv4" })),
  address_v6: Type.Optional(Type.String({ format: "ipv6" })),
  latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
  longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  description: Type.Optional(Type.String()),
  /** An anchor: a well-connected probe that is also a target (tagged `system-anchor`). */
  is_anchor: Type.Optional(Type.Boolean()),
  /** The probe host's own tags; `system-` tags are the platform's. */
  tags: Type.Optional(Type.Array(Type.String({ pattern: USER_TAG_PATTERN }), { maxItems: 64 })),
});

export type ProbeRegistration = Static<typeof ProbeRegistration>;

export const ProbeRegistrationResponse = Type.Object({
  prb_id: Type.Integer({ minimum: 1 }),
  secret: Type.String(),
});

export type ProbeRegistrationResponse = Static<typeof ProbeRegistrationResponse>;

/** A result of an upload batch that was not stored: its position, the field at fault and why. */
export const IngestRejection = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  field: Type.String(),
  message: Type.String(),
});

export type IngestRejection = Static<typeof IngestRejection>;

/** Answer to a result upload: how many were stored, already known, or rejected. */
export const IngestResponse = Type.Object({
  stored: Type.Integer({ minimum: 0 }),
  duplicates: Type.Integer({ minimum: 0 }),
  rejected: Type.Array(IngestRejection),
});

export type IngestResponse = Static<typeof IngestResponse>;
