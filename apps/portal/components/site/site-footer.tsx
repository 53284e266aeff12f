import Link from "next/link";
import styles from "./site-footer.module.css";

export function SiteFooter({ apiDocsUrl }: { apiDocsUrl: string }) {
  return (
    <footer className={styles.footer}>
      <p>
        probestream: live network-measurement results, wire-compatible with RIPE Atlas.{" "}
        <a href={apiDocsUrl}>REST API reference</a> · <Link href="/docs/streaming">Streaming protocol</Link> ·{" "}
        <Link href="/keys">API keys</Link>
      </p>
    </footer>
  );
}
