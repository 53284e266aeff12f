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
