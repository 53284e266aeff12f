import { Type, type TProperties, type TObject } from "typebox";

// Building blocks shared by the six result schemas. Probe firmware has changed the
// format over the years (fw 0 sent numbers as strings), so several fields accept
// both the current and the historic spelling of a value.

/** A non-negative integer as a JSON number or, from old firmware, a digit string. */
export const CountValue = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: "^[0-9]+$" }),
]);

/** A positive id as a JSON number or a digit string (e.g. `msm_id` in some ntp results). */
export const IdValue = Type.Union([
  Type.Integer({ minimum: 1 }),
  Type.String({ pattern: "^[1-9][0-9]*$" }),
]);

/** A number of milliseconds, or its decimal string in fw 0; -1 means "nothing came back". */
export const MillisecondsValue = Type.Union([
  Type.Number({ minimum: -1 }),
  Type.String({ pattern: "^-?[0-9]+(\\.[0-9]+)?$" }),
]);

export const AddressFamily = Type.Enum([4, 6]);

/** Marks an unanswered packet or hop reply: `{"x": "*"}`. */
export const LostPacket = Type.Object(
  { x: Type.Literal("*") },
  { additionalProperties: true },
);

/** Properties present on results of every type. */
export const CommonProperties = {
  fw: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: "^[0-9]+$" })]),
  mver: Type.Optional(Type.String({ pattern: "^[0-9]+\\.[0-9]+\\.[0-9]+" })),
  lts: Type.Optional(Type.Integer({ minimum: -1 })),
  af: Type.Optional(AddressFamily),
  dst_addr: Type.Optional(Type.String()),
  dst_name: Type.Optional(Type.String()),
  addr: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  src_addr: Type.Optional(Type.String()),
  from: Type.Optional(Type.String()),
  msm_id: IdValue,
  prb_id: Type.Integer({ minimum: 1 }),
  timestamp: Type.Integer({ minimum: 0 }),
  msm_name: Type.Optional(Type.String()),
  group_id: Type.Optional(IdValue),
  stored_timestamp: Type.Optional(Type.Integer({ minimum: 0 })),
};

/** An object schema that keeps properties it does not list: newer firmware adds fields. */
export function openObject<P extends TProperties>(properties: P): TObject<P> {
  return Type.Object(properties, { additionalProperties: true });
}
