import { cookies } from "next/headers";

/** The httpOnly session cookie holding the visitor's API key: never in a URL, gone with the browser session. */
export const SESSION_COOKIE = "probestream_key";

/** The API key the visitor signed in with, if any (server components and route handlers only). */
export async function sessionKey(): Promise<string | undefined> {
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  return value ? value : undefined;
}
