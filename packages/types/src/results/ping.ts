import { Type, type Static } from "typebox";
import { CommonProperties, CountValue, LostPacket, MillisecondsValue, openObject } from "./common.js";

/** One echo reply; `dup` marks a duplicate, `srcaddr` appears when it differs from `src_addr`. */
export const PingReply = openObject({
  rtt: Type.Number({ minimum: 0 }),
  ttl: Type.Optional(Type.Integer({ minimum: 0 })),
  srcaddr: Type.Optional(Type.String()),
  dup: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const PingError = openObject({ error: Type.String() });

export const PingPacket = Type.Union([PingReply, LostPacket, PingError]);

export const PingResultSchema = openObject({
  ...CommonProperties,
  type: Type.Literal("ping"),
  proto: Type.Optional(Type.String()),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  ttl: Type.Optional(Type.Integer({ minimum: 0 })),
  step: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  sent: Type.Optional(CountValue),
  rcvd: Type.Optional(CountValue),
  dup: Type.Optional(CountValue),
  min: Type.Optional(MillisecondsValue),
  avg: Type.Optional(MillisecondsValue),
  max: Type.Optional(MillisecondsValue),
  result: Type.Optional(Type.Array(PingPacket)),
});

export type PingResult = Static<typeof PingResultSchema>;
