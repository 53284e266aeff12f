import { Type, type Static } from "typebox";
import { CommonProperties, openObject } from "./common.js";

/**
 * A TLS alert the server sent. Firmware spells the description `decription`;
 * `description` is accepted too in case it is ever fixed.
 */
export const TlsAlert = openObject({
  level: Type.Optional(Type.Integer({ minimum: 0 })),
  decription: Type.Optional(Type.Integer({ minimum: 0 })),
  description: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const SslcertResultSchema = openObject({
  ...CommonProperties,
  type: Type.Literal("sslcert"),
  method: Type.Optional(Type.Enum(["TLS", "SSL"])),
  ver: Type.Optional(Type.String()),
  // A port number, or a service name such as "https" in old results.
  dst_port: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.String({ minLength: 1 })]),
  ),
  rt: Type.Optional(Type.Number({ minimum: 0 })),
  ttc: Type.Optional(Type.Number({ minimum: 0 })),
  cert: Type.Optional(Type.Array(Type.String())),
  alert: Type.Optional(TlsAlert),
  error: Type.Optional(Type.String()),
  dnserr: Type.Optional(Type.String()),
});

export type SslcertResult = Static<typeof SslcertResultSchema>;
