import { Type, type TProperties, type TObject } from "typebox";

// Building blocks shared by the six result schemas. Probe firmware has changed the
// format over the years (fw 0 sent numbers as strings), so several fields accept
// both the current and the historic spelling of a value.

/** A non-negative integer as a JSON number or, from old firmware, a digit string. */
export const CountValue = Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: "^[0-9]+$" }),
]);

/** Ids are stored as PostgreSQL integers (int4), as RIPE Atlas ids fit in them. */
export const MAX_ID = 2_147_483_647;

/** 1..MAX_ID as a digit string, digit by digit (a pattern cannot compare numbers). */
const ID_DIGITS =
  "^([1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}" +
  "|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])$";

/** A positive id as a JSON number or a digit string (e.g. `msm_id` in some ntp results). */
export const IdValue = Type.Union([
  Type.Integer({ minimum: 1, maximum: MAX_ID }),
  Type.String({ pattern: ID_DIGITS }),
]);

/**
 * The last second a stored timestamp can hold (9999-12-31T23:59:59Z); ingest narrows what it
 * accepts to a window around now.
 */
export const MAX_TIMESTAMP = 253_402_300_799;

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
  prb_id: Type.Integer({ minimum: 1, maximum: MAX_ID }),
  timestamp: Type.Integer({ minimum: 0, maximum: MAX_TIMESTAMP }),
  msm_name: Type.Optional(Type.String()),
  group_id: Type.Optional(IdValue),
  stored_timestamp: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIMESTAMP })),
};

/** An object schema that keeps properties it does not list: newer firmware adds fields. */
export function openObject<P extends TProperties>(properties: P): TObject<P> {
  return Type.Object(properties, { additionalProperties: true });
}
