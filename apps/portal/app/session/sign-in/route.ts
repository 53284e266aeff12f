import { api } from "../../../lib/api";
import { fromSameOrigin, localPath, overHttps, seeOther, SESSION_COOKIE, sessionCookieOptions } from "../../../lib/session";

/**
 * Sign-in: the form posts the key here (never in a URL); the API checks it, and only a key it
 * knows goes into the session cookie. Failures go back to the form with a reason, not the key.
 */
export async function POST(request: Request): Promise<Response> {
  if (!fromSameOrigin(request)) return new Response("Cross-site form posts are refused", { status: 403 });
  const form = await request.formData();
  const given = form.get("key");
  const key = typeof given === "string" ? given.trim() : "";
  const next = localPath(form.get("next"));
  const back = (error: string) => {
    const query = new URLSearchParams({ error });
    if (next !== "/") query.set("next", next);
    return seeOther(`/session?${query}`);
  };
  if (key === "") return back("empty");
  const answer = await api<unknown>("/api/v2/keys/current/", { key }).catch(() => null);
  if (answer === null) return back("unavailable");
  if (answer.status !== 200) return back(answer.status === 429 ? "limited" : "invalid");
  const response = seeOther(next);
  response.cookies.set(SESSION_COOKIE, key, sessionCookieOptions(overHttps(request)));
  return response;
}
