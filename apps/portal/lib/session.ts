import { cookies } from "next/headers";
import { NextResponse } from "next/server";

/** The httpOnly session cookie holding the visitor's API key: never in a URL, gone with the browser session. */
export const SESSION_COOKIE = "probestream_key";

/** The API key the visitor signed in with, if any (server components and route handlers only). */
export async function sessionKey(): Promise<string | undefined> {
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  return value ? value : undefined;
}

/**
 * The cookie's settings: httpOnly (no script reads the key), SameSite=Lax (not sent with other
 * sites' form posts), no expiry (a session cookie), Secure when the portal is served over HTTPS.
 */
export function sessionCookieOptions(secure: boolean) {
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure };
}

/**
 * Whether a form post comes from the portal's own pages: SameSite=Lax already keeps the cookie
 * off other sites' posts, and this refuses them outright (browsers send Origin with every POST).
 */
export function fromSameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** A path on this site to go to after signing in: only local paths, never another origin. */
export function localPath(value: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : fallback;
}

/** 303 to a path of this site, relative, so it holds behind any proxy or host name. */
export function seeOther(path: string): NextResponse {
  return new NextResponse(null, { status: 303, headers: { location: path } });
}

/** Whether the visitor reached the portal over HTTPS (directly or through a proxy saying so). */
export function overHttps(request: Request): boolean {
  return new URL(request.url).protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
}
