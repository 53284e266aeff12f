import { Type, type Static } from "typebox";
import { CommonProperties, LostPacket, openObject } from "./common.js";

/** ICMP extension objects (RFC 4884), e.g. MPLS label stacks. */
export const IcmpExtension = openObject({
  version: Type.Optional(Type.Integer({ minimum: 0 })),
  rfc4884: Type.Optional(Type.Integer({ minimum: 0 })),
  obj: Type.Optional(
    Type.Array(
      openObject({
        class: Type.Optional(Type.Integer({ minimum: 0 })),
        type: Type.Optional(Type.Integer({ minimum: 0 })),
        mpls: Type.Optional(
          Type.Array(
            openObject({
              exp: Type.Optional(Type.Integer({ minimum: 0 })),
              label: Type.Optional(Type.Integer({ minimum: 0 })),
              s: Type.Optional(Type.Integer({ minimum: 0 })),
              ttl: Type.Optional(Type.Integer({ minimum: 0 })),
            }),
          ),
        ),
      }),
    ),
  ),
});

/** A reply from a router; late replies carry `late` instead of `rtt`. */
export const TracerouteReply = openObject({
  from: Type.String(),
  rtt: Type.Optional(Type.Number({ minimum: 0 })),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  ttl: Type.Optional(Type.Integer({ minimum: 0 })),
  // ICMP unreachable code: a letter ("H", "N", "P", ...) or the numeric code.
  err: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
  ittl: Type.Optional(Type.Integer({ minimum: 0 })),
  late: Type.Optional(Type.Integer({ minimum: 0 })),
  mtu: Type.Optional(Type.Integer({ minimum: 0 })),
  dstoptsize: Type.Optional(Type.Integer({ minimum: 0 })),
  hbhoptsize: Type.Optional(Type.Integer({ minimum: 0 })),
  icmpext: Type.Optional(IcmpExtension),
});

export const TracerouteHopReplies = openObject({
  hop: Type.Integer({ minimum: 1 }),
  result: Type.Array(Type.Union([TracerouteReply, LostPacket])),
});

/** A hop the probe could not probe at all, e.g. `connect failed: Network is unreachable`. */
export const TracerouteHopError = openObject({
  hop: Type.Integer({ minimum: 1 }),
  error: Type.String(),
});

export const TracerouteHop = Type.Union([TracerouteHopReplies, TracerouteHopError]);

export const TracerouteResultSchema = openObject({
  ...CommonProperties,
  type: Type.Literal("traceroute"),
  proto: Type.Optional(Type.Enum(["UDP", "ICMP", "TCP"])),
  paris_id: Type.Optional(Type.Integer({ minimum: 0 })),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  endtime: Type.Optional(Type.Integer({ minimum: 0 })),
  result: Type.Optional(Type.Array(TracerouteHop)),
});

export type TracerouteResult = Static<typeof TracerouteResultSchema>;
