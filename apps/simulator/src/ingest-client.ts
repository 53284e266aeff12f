import type { AtlasResult, IngestResponse, ProbeRegistration, ProbeRegistrationResponse } from "@probestream/types";

/** How the ingest API answered one batch, reduced to what the sender does next. */
export type UploadOutcome =
  /** 200 or 422: the batch was processed (the 422 items were rejected, the others stored). */
  | { kind: "answered"; response: IngestResponse }
  /** The probe's secret is no longer accepted: register again, then re-send. */
  | { kind: "unauthorized" }
  /** 413: re-send in smaller batches. */
  | { kind: "too-large" }
  /** Network failure, 429 or 5xx: re-send the same batch later. */
  | { kind: "retry"; reason: string; overloaded?: boolean }
  /** Any other answer: re-sending the same batch cannot help. */
  | { kind: "refused"; reason: string };

export class RegistrationRefused extends Error {}

/** The probe-facing ingest API, over fetch (undici keeps connections alive between requests). */
export class IngestClient {
  private readonly baseUrl: string;

  constructor(
    ingestUrl: string,
    private readonly adminToken: string,
  ) {
    this.baseUrl = ingestUrl.replace(/\/+$/, "");
  }

  /**
   * Registers (or re-registers, which rotates the secret) a probe. Throws `RegistrationRefused`
   * when retrying cannot help (bad token, invalid body), any other error when it might.
   */
  async register(registration: ProbeRegistration, signal?: AbortSignal): Promise<ProbeRegistrationResponse> {
    const response = await fetch(`${this.baseUrl}/probe/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(registration),
      signal,
    });
    const text = await response.text();
    if (response.status === 201) return JSON.parse(text) as ProbeRegistrationResponse;
    const message = `register probe ${registration.prb_id}: ${response.status} ${text.slice(0, 200)}`;
    if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new RegistrationRefused(message);
    throw new Error(message);
  }

  async upload(prbId: number, secret: string, results: AtlasResult[], signal?: AbortSignal): Promise<UploadOutcome> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}/probe/results`, {
        method: "POST",
        headers: { authorization: `Probe ${prbId}:${secret}`, "content-type": "application/json" },
        body: JSON.stringify(results),
        signal,
      });
      text = await response.text();
    } catch (error) {
      return { kind: "retry", reason: describeError(error) };
    }
    const { status } = response;
    if (status === 200 || status === 422) {
      try {
        return { kind: "answered", response: JSON.parse(text) as IngestResponse };
      } catch {
        return { kind: "refused", reason: `${status} with a body that is not JSON` };
      }
    }
    if (status === 401) return { kind: "unauthorized" };
    if (status === 413) return { kind: "too-large" };
    // Ingest's way to say "too busy, send again later": nothing of the batch was stored.
    if (status === 429 || status === 503) return { kind: "retry", reason: `${status} ${text.slice(0, 200)}`, overloaded: true };
    if (status >= 500) return { kind: "retry", reason: `${status} ${text.slice(0, 200)}` };
    return { kind: "refused", reason: `${status} ${text.slice(0, 200)}` };
  }
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
