import { cache } from "react";
import { sessionKey } from "./session";

/**
 * Where the portal's server reaches the gateway's REST API: GATEWAY_INTERNAL_URL, else the public
 * URL, else the gateway's default port on this host.
 */
export function gatewayInternalUrl(): string {
  const url = process.env.GATEWAY_INTERNAL_URL ?? process.env.GATEWAY_PUBLIC_URL ?? "http://127.0.0.1:8080";
  return url.replace(/\/+$/, "");
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * Calls the public REST API as the signed-in visitor (or anonymously), so that the portal shows
 * exactly what the API gives the same caller.
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string | null } = {}): Promise<ApiAnswer<T>> {
  const key = init.key === undefined ? await sessionKey() : (init.key ?? undefined);
  const headers: Record<string, string> = { accept: "application/json" };
  if (key) headers.authorization = `Key ${key}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${gatewayInternalUrl()}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    cache: "no-store",
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** The signed-in key as the API describes it (`GET /api/v2/keys/current/`). */
export interface SignedInKey {
  id: number;
  label: string;
  rights: string[];
  created_at: number;
  user: string;
}

/**
 * The visitor's key, checked with the API once per request (header, pages and forms share the
 * answer); undefined when signed out or the key no longer works (revoked).
 */
export const signedInKey = cache(async (): Promise<SignedInKey | undefined> => {
  if (!(await sessionKey())) return undefined;
  // Every page's header asks: an unreachable API shows the visitor as signed out, not a broken page.
  const answer = await api<SignedInKey>("/api/v2/keys/current/").catch(() => null);
  return answer?.status === 200 ? answer.body : undefined;
});

/** A query string from the set values, for API paths. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}
