import type { Duplex } from "node:stream";
import { StreamEvents } from "@probestream/types";
import type { Caller } from "../access/api-keys.js";
import { Frame } from "./frame.js";
import type { Subscription } from "./subscription.js";

/** What the hub knows of a transport: its name and the abilities that change how it is served. */
export interface StreamTransport {
  /** For metrics: "socket.io", "websocket", "http". */
  readonly name: string;
  /** A connection carries one subscription and ends with it (the HTTP stream). */
  readonly endsWithSubscription: boolean;
  /**
   * Sends one frame to many of its sessions at once (socket.io: one encoding, one broadcast);
   * without it, each session sends for itself.
   */
  broadcast?(sessions: StreamSession[], frame: Frame, withMeta: boolean): void;
}

/**
 * One client connection, whatever carries it. Transports implement sending and report how much
 * they still hold unsent; the hub does the protocol.
 */
export abstract class StreamSession {
  readonly subscriptions = new Map<string, Subscription>();
  /** Set once the client was told it reads too slowly, cleared when it catches up. */
  warnedSlow = false;
  closed = false;

  constructor(
    readonly transport: StreamTransport,
    readonly address: string,
    readonly caller: Caller,
  ) {}

  /** Sends one message, with its metadata when `withMeta` (a subscription with `sendPositions`); never blocks. */
  abstract send(frame: Frame, withMeta?: boolean): void;

  /** Bytes accepted for this client and not yet written to its socket. */
  abstract bufferedBytes(): number;

  /**
   * Ends the connection: politely (what is queued is still sent), or at once with `discard`, for a
   * client whose unsent backlog is the problem.
   */
  abstract close(discard?: boolean): void;

  /** Sends `atlas_error`: what was wrong, and which parameter or which kind of refusal when known. */
  error(message: string, parameter?: string, code?: string): void {
    this.send(Frame.of(StreamEvents.error, { message, ...(parameter ? { parameter } : {}), ...(code ? { code } : {}) }));
  }
}

/**
 * Ends a client's connection at once, dropping what it never read. Destroyed with an error, Node hands that
 * one error to the callback of every write still queued; destroyed without one, it builds a new error, stack
 * trace and all, for each of them: profiled here, 0.4–0.6 s of the event loop (every other client's latency)
 * for three clients cut at their 8 MiB of results. Also frees the backlog now, not after ws's 30 s close timeout.
 */
export function discardConnection(tcp: Duplex | null | undefined): void {
  tcp?.destroy(new Error("connection discarded: the client did not read what was sent to it"));
}
