import { Type, type Static } from "typebox";
import { CommonProperties, LostPacket, openObject } from "./common.js";

/** One NTP exchange; the `*-ts` fields are NTP timestamps (seconds since 1900). */
export const NtpReply = openObject({
  "final-ts": Type.Number(),
  offset: Type.Number(),
  "origin-ts": Type.Number(),
  "receive-ts": Type.Number(),
  rtt: Type.Number(),
  "transmit-ts": Type.Number(),
});

export const NtpError = openObject({ error: Type.String() });

export const NtpPacket = Type.Union([NtpReply, LostPacket, NtpError]);

export const NtpResultSchema = openObject({
  ...CommonProperties,
  type: Type.Literal("ntp"),
  proto: Type.Optional(Type.String()),
  li: Type.Optional(Type.String()),
  mode: Type.Optional(Type.String()),
  poll: Type.Optional(Type.Number()),
  precision: Type.Optional(Type.Number()),
  "ref-id": Type.Optional(Type.String()),
  "ref-ts": Type.Optional(Type.Number()),
  "root-delay": Type.Optional(Type.Number()),
  "root-dispersion": Type.Optional(Type.Number()),
  stratum: Type.Optional(Type.Integer({ minimum: 0 })),
  version: Type.Optional(Type.Integer({ minimum: 0 })),
  result: Type.Optional(Type.Array(NtpPacket)),
});

export type NtpResult = Static<typeof NtpResultSchema>;
