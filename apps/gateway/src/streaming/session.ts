import type { Caller } from "../access/api-keys.js";
import type { Frame } from "./frame.js";
import type { Subscription } from "./subscription.js";

export type Transport = "socket.io" | "websocket" | "http";

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
    readonly transport: Transport,
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
}
