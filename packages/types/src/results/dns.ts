import { Type, type Static } from "typebox";
import { AddressFamily, CommonProperties, openObject } from "./common.js";

/** A decoded resource record, added to `result.answers` by old firmware. */
export const DnsAnswer = openObject({
  NAME: Type.Optional(Type.String()),
  TYPE: Type.Optional(Type.Union([Type.String(), Type.Integer({ minimum: 0 })])),
  TTL: Type.Optional(Type.Integer({ minimum: 0 })),
  RDLENGTH: Type.Optional(Type.Integer({ minimum: 0 })),
  RDATA: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  MNAME: Type.Optional(Type.String()),
  RNAME: Type.Optional(Type.String()),
  SERIAL: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** The answer to one query; `abuf` is the raw DNS message in base64. */
export const DnsQueryResult = openObject({
  ANCOUNT: Type.Optional(Type.Integer({ minimum: 0 })),
  ARCOUNT: Type.Optional(Type.Integer({ minimum: 0 })),
  NSCOUNT: Type.Optional(Type.Integer({ minimum: 0 })),
  QDCOUNT: Type.Optional(Type.Integer({ minimum: 0 })),
  ID: Type.Optional(Type.Integer({ minimum: 0 })),
  abuf: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$" })),
  rt: Type.Optional(Type.Number({ minimum: 0 })),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  answers: Type.Optional(Type.Array(DnsAnswer)),
});

/** Why a query got no answer: `{"timeout": ms}`, `{"socket": "..."}`, `{"getaddrinfo": "..."}`. */
export const DnsError = openObject({
  timeout: Type.Optional(Type.Integer({ minimum: 0 })),
  socket: Type.Optional(Type.String()),
  getaddrinfo: Type.Optional(Type.String()),
});

/** One resolver's outcome when the probe asked several (`resultset`). */
export const DnsResolverResult = openObject({
  af: Type.Optional(AddressFamily),
  dst_addr: Type.Optional(Type.String()),
  dst_name: Type.Optional(Type.String()),
  src_addr: Type.Optional(Type.String()),
  proto: Type.Optional(Type.Enum(["UDP", "TCP"])),
  time: Type.Optional(Type.Integer({ minimum: 0 })),
  lts: Type.Optional(Type.Integer({ minimum: -1 })),
  subid: Type.Optional(Type.Integer({ minimum: 0 })),
  submax: Type.Optional(Type.Integer({ minimum: 0 })),
  qbuf: Type.Optional(Type.String()),
  retry: Type.Optional(Type.Integer({ minimum: 0 })),
  result: Type.Optional(DnsQueryResult),
  error: Type.Optional(DnsError),
});

export const DnsResultSchema = openObject({
  ...CommonProperties,
  type: Type.Literal("dns"),
  proto: Type.Optional(Type.Enum(["UDP", "TCP"])),
  qbuf: Type.Optional(Type.String()),
  retry: Type.Optional(Type.Integer({ minimum: 0 })),
  subid: Type.Optional(Type.Integer({ minimum: 0 })),
  submax: Type.Optional(Type.Integer({ minimum: 0 })),
  result: Type.Optional(DnsQueryResult),
  resultset: Type.Optional(Type.Array(DnsResolverResult)),
  error: Type.Optional(DnsError),
});

export type DnsResult = Static<typeof DnsResultSchema>;
