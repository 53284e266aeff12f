import type { Probe } from "@probestream/types";

/** A page of a REST API v2 list. */
export interface ApiPage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export type ProbePageAnswer = ApiPage<Probe>;

/** An API error answer: the detail, and the parameter each error is about. */
export interface ApiErrorAnswer {
  error?: { status: number; detail?: string; errors?: { source?: { pointer?: string }; detail?: string }[] };
}

/** The query-string parameter an API error names (`/querystring/country_code` → `country_code`). */
export function parametersAtFault(answer: ApiErrorAnswer): Map<string, string> {
  const fault = new Map<string, string>();
  for (const e of answer.error?.errors ?? []) {
    const name = /^\/querystring\/(\w+)/.exec(e.source?.pointer ?? "")?.[1];
    if (name) fault.set(name, e.detail ?? "invalid");
  }
  return fault;
}

/** A probe or measurement id from a URL segment: digits within the 4-byte range, else null. */
export function idOf(raw: string): number | null {
  return /^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2_147_483_647 ? Number(raw) : null;
}
