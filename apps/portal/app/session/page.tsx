import type { Metadata } from "next";
import Link from "next/link";
import { signedInKey } from "../../lib/api";
import { localPath } from "../../lib/session";
import styles from "./session.module.css";

export const metadata: Metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  empty: "Enter an API key.",
  invalid: "The API does not know this key (mistyped, or revoked).",
  limited: "Too many attempts from here: wait a minute and try again.",
  unavailable: "The API did not answer: try again in a moment.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const error = typeof params.error === "string" ? ERRORS[params.error] : undefined;
  const next = localPath(typeof params.next === "string" ? params.next : undefined);
  const key = await signedInKey();
  return (
    <div className={styles.page}>
      <h1>Sign in with an API key</h1>
      {key ? (
        <p className="notice notice-ok" data-testid="session-state">
          You are signed in as <strong>{key.user}</strong>
          {key.label ? ` (key “${key.label}”)` : ""}. Signing in again replaces this key.
        </p>
      ) : null}
      <p>
        The portal shows what the API shows the key: public measurements to everyone, private ones to their owner. The key
        stays in this browser session only, in a cookie scripts cannot read.
      </p>
      <form action="/session/sign-in" method="post" className={styles.form}>
        {error ? (
          <p className="notice notice-bad" role="alert" id="sign-in-error">
            {error}
          </p>
        ) : null}
        <label htmlFor="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          className="input"
          required
          autoComplete="off"
          spellCheck={false}
          aria-describedby={error ? "sign-in-error" : undefined}
        />
        <input type="hidden" name="next" value={next} />
        <button type="submit" className="button">
          Sign in
        </button>
      </form>
      <h2>No key yet?</h2>
      <p>
        The first key of a user comes from the command line, on the machine running probestream (
        <code>npm start</code> prints it):
      </p>
      <pre className={styles.command}>npm run keys:create -- --user you --rights all</pre>
      <p>
        Signed in, you can make more keys with some of your key’s rights on <Link href="/keys">API keys</Link>. See the{" "}
        <Link href="/docs">docs</Link> for what each right allows.
      </p>
    </div>
  );
}
