import Link from "next/link";
import { signedInKey } from "../../lib/api";
import { SiteNav } from "./site-nav";
import styles from "./site-header.module.css";

/** Who is signed in, with sign-out; or a sign-in link. */
async function Account() {
  const key = await signedInKey();
  if (!key) {
    return (
      <Link href="/session" className={styles.signIn} data-testid="sign-in-link">
        Sign in
      </Link>
    );
  }
  return (
    <form action="/session/sign-out" method="post" className={styles.signedIn} data-testid="signed-in">
      <span className={styles.who}>
        <span className="sr-only">Signed in as </span>
        <span data-testid="signed-in-user">{key.user}</span>
        {key.label ? <span className={styles.keyLabel}> ({key.label})</span> : null}
      </span>
      <button type="submit" className={styles.signOut}>
        Sign out
      </button>
    </form>
  );
}

export function SiteHeader() {
  return (
    <header className={styles.header}>
      <div className={styles.bar}>
        <Link href="/" className={styles.brand}>
          probestream
        </Link>
        <SiteNav account={<Account />} />
      </div>
    </header>
  );
}
