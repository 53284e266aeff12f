import { fromSameOrigin, overHttps, seeOther, SESSION_COOKIE, sessionCookieOptions } from "../../../lib/session";

/** Sign-out: the session cookie goes, and the visitor lands on the list as anonymous. */
export async function POST(request: Request): Promise<Response> {
  if (!fromSameOrigin(request)) return new Response("Cross-site form posts are refused", { status: 403 });
  const response = seeOther("/");
  response.cookies.set(SESSION_COOKIE, "", { ...sessionCookieOptions(overHttps(request)), maxAge: 0 });
  return response;
}
