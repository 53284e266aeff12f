import { Type, type Static } from "typebox";
import { AddressFamily, CommonProperties, openObject } from "./common.js";

/**
 * One HTTP request. fw 4430 used `addr`, `srcaddr` and `mode` ("GET4") where later
 * firmware has `dst_addr`, `src_addr`, `af` and `method`; failures carry `err` or `dnserr`.
 */
export const HttpRequestResult = openObject({
  af: Type.Optional(AddressFamily),
  dst_addr: Type.Optional(Type.String()),
  addr: Type.Optional(Type.String()),
  src_addr: Type.Optional(Type.String()),
  srcaddr: Type.Optional(Type.String()),
  method: Type.Optional(Type.String()),
  mode: Type.Optional(Type.String()),
  res: Type.Optional(Type.Integer({ minimum: 0 })),
  rt: Type.Optional(Type.Number({ minimum: 0 })),
  hsize: Type.Optional(Type.Integer({ minimum: 0 })),
  bsize: Type.Optional(Type.Integer({ minimum: 0 })),
  ver: Type.Optional(Type.String()),
  err: Type.Optional(Type.String()),
  dnserr: Type.Optional(Type.String()),
  header: Type.Optional(Type.Array(Type.String())),
});

export const HttpResultSchema = openObject({
  ...CommonProperties,
  type: Type.Literal("http"),
  uri: Type.Optional(Type.String()),
  // fw 1 sent one text line ("GET4 193.0.6.139 0.030229 200 263 1406") instead of an array.
  result: Type.Optional(Type.Union([Type.Array(HttpRequestResult), Type.String()])),
});

export type HttpResult = Static<typeof HttpResultSchema>;
