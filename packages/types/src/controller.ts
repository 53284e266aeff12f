import { Type, type Static } from "typebox";

/**
 * The controller protocol: a probe keeps one socket.io session with its controller (ingest, path
 * `PROBE_SOCKET_PATH`), authenticated by `ProbeSessionAuth`; the controller sends it `assignments`.
 */
export const PROBE_SOCKET_PATH = "/probe/socket.io";

/** The controller's default heartbeat period: a probe silent for two periods is disconnected. */
export const PROBE_HEARTBEAT_MS = 20_000;

export const ControllerEvents = {
  /** Controller to probe: the probe's complete, current list of `ProbeAssignment`s. */
  assignments: "assignments",
} as const;

export const ProbeSessionAuth = Type.Object(
  {
    prb_id: Type.Integer({ minimum: 1 }),
    secret: Type.String({ minLength: 1 }),
    firmware: Type.Optional(Type.Integer({ description: "Probe firmware version" })),
    address_v4: Type.Optional(Type.String()),
    address_v6: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ProbeSessionAuth = Static<typeof ProbeSessionAuth>;

const UnixSecondsOrNull = Type.Union([Type.Integer(), Type.Null()]);

/** One measurement a probe takes part in (times in Unix seconds). */
export const ProbeAssignment = Type.Object(
  {
    msm_id: Type.Integer({ minimum: 1 }),
    type: Type.String({ description: "Result type: ping, traceroute, dns, sslcert, ntp, http" }),
    interval: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: "Seconds between runs; null for one-offs" }),
    is_oneoff: Type.Boolean(),
    start_time: UnixSecondsOrNull,
    stop_time: UnixSecondsOrNull,
    spread: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: "Seconds over which probes spread their runs (default: the interval)",
    }),
    definition: Type.Record(Type.String(), Type.Unknown(), {
      description: "The measurement's RIPE Atlas options: target, af, packets, size, protocol, query_type, ...",
    }),
  },
  { additionalProperties: true },
);
export type ProbeAssignment = Static<typeof ProbeAssignment>;
