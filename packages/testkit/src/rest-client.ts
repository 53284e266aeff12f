/** A JSON answer, read by path in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read by path in assertions
export type JsonAnswer = Record<string, any>;

export interface RestAnswer {
  status: number;
  body: JsonAnswer;
  headers: Headers;
}

/** One REST call to a gateway, with `Authorization: Key` when a key is given and a JSON body when one is. */
export async function restCall(baseUrl: string, method: string, path: string, key?: string, body?: unknown): Promise<RestAnswer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Key ${key}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as JsonAnswer) : {}, headers: res.headers };
}
