import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <div className="notice" data-testid="not-found">
      <h1>Not found</h1>
      <p>No measurement, probe or page lives at this address. It may have been mistyped, or it never existed.</p>
      <p>
        <Link href="/">Back to the measurements</Link> · <Link href="/probes">Probes</Link> · <Link href="/docs">Docs</Link>
      </p>
    </div>
  );
}
