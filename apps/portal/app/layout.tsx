import type { Metadata } from "next";
import type { ReactNode } from "react";
import Link from "next/link";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "probestream", template: "%s · probestream" },
  description: "Live network-measurement results, streamed as the probes send them.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <Link href="/" className="brand">
            probestream
          </Link>
          <span className="tagline">live network-measurement results</span>
        </header>
        <main className="content">{children}</main>
      </body>
    </html>
  );
}
