/**
 * One server-to-client message: an event, its payload, and our metadata (the result's stream
 * position). RIPE Atlas clients get exactly `[event, payload]` (one argument on socket.io); only
 * subscriptions with `sendPositions` get the metadata too, as `[event, payload, meta]` (a second
 * argument). Each JSON-array encoding is made once, when a client first needs it, and shared by
 * every client it goes to, on every transport; a stored result's JSON is sent as stored, and
 * parsed only for a filter that reads its fields.
 */
export class Frame {
  private encoded: string | undefined;
  private encodedWithMeta: string | undefined;
  private parsed: unknown;

  private constructor(
    readonly event: string,
    payload: unknown,
    private readonly payloadJson: string | undefined,
    readonly meta: { position: string } | undefined,
  ) {
    this.parsed = payload;
  }

  static of(event: string, payload: unknown, meta?: { position: string }): Frame {
    return new Frame(event, payload, undefined, meta);
  }

  /** A frame around JSON that is already serialised (a stored result), parsed only if a client needs it. */
  static ofJson(event: string, payloadJson: string, meta?: { position: string }): Frame {
    return new Frame(event, undefined, payloadJson, meta);
  }

  get payload(): unknown {
    if (this.parsed === undefined && this.payloadJson !== undefined) this.parsed = JSON.parse(this.payloadJson);
    return this.parsed;
  }

  /** `[event, payload]`, as RIPE Atlas sends it. */
  get json(): string {
    this.encoded ??= `[${JSON.stringify(this.event)},${this.payloadText()}]`;
    return this.encoded;
  }

  /** `[event, payload, meta]` when there is metadata, else as {@link json}. */
  get jsonWithMeta(): string {
    if (!this.meta) return this.json;
    this.encodedWithMeta ??= `[${JSON.stringify(this.event)},${this.payloadText()},${JSON.stringify(this.meta)}]`;
    return this.encodedWithMeta;
  }

  /** The payload's JSON. */
  payloadText(): string {
    return this.payloadJson ?? JSON.stringify(this.parsed);
  }
}
