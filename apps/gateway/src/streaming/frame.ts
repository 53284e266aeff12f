/**
 * One server-to-client message: an event, its payload, and our metadata (the result's stream
 * position). Its JSON-array encoding, `[event, payload, meta]`, is made once and shared by every
 * plain WebSocket and HTTP client it goes to (reference clients read the first two elements);
 * socket.io clients get the payload as an object, parsed once.
 */
export class Frame {
  private encoded: string | undefined;
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

  get json(): string {
    if (this.encoded === undefined) {
      const payload = this.payloadJson ?? JSON.stringify(this.parsed);
      const meta = this.meta ? `,${JSON.stringify(this.meta)}` : "";
      this.encoded = `[${JSON.stringify(this.event)},${payload}${meta}]`;
    }
    return this.encoded;
  }
}
