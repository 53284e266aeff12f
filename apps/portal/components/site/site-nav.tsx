"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import styles from "./site-header.module.css";

const LINKS = [
  { href: "/", label: "Measurements" },
  { href: "/measurements/new", label: "New measurement" },
  { href: "/probes", label: "Probes" },
  { href: "/keys", label: "API keys" },
  { href: "/docs", label: "Docs" },
] as const;

/** Which link names the page: the longest one the path starts with (`/measurements/new` over `/`). */
function currentHref(pathname: string): string | undefined {
  const matching = LINKS.filter((l) => pathname === l.href || (l.href !== "/" && pathname.startsWith(`${l.href}/`)));
  if (matching.length === 0 && pathname.startsWith("/measurements/")) return "/";
  return matching.sort((a, b) => b.href.length - a.href.length)[0]?.href;
}

/** The site's navigation: a row of links, folded behind a Menu button on phones. */
export function SiteNav({ account }: { account: ReactNode }) {
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const current = currentHref(pathname);
  // A followed link closes the menu.
  useEffect(() => setOpen(false), [pathname]);
  return (
    <>
      <button
        type="button"
        className={styles.menuButton}
        aria-expanded={open}
        aria-controls="site-nav"
        onClick={() => setOpen((o) => !o)}
      >
        Menu
      </button>
      <nav id="site-nav" aria-label="Main" className={styles.nav} data-open={open}>
        <ul className={styles.links}>
          {LINKS.map((l) => (
            <li key={l.href}>
              <Link href={l.href} aria-current={current === l.href ? "page" : undefined} className={styles.link}>
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className={styles.account}>{account}</div>
      </nav>
    </>
  );
}
