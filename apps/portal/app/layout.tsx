import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { SiteFooter } from "../components/site/site-footer";
import { SiteHeader } from "../components/site/site-header";
import { SkipLink } from "../components/site/skip-link";
import { gatewayUrlForRequest } from "../lib/gateway-url";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "probestream", template: "%s · probestream" },
  description: "Live network-measurement results, streamed as the probes send them.",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#151b26" },
    { media: "(prefers-color-scheme: dark)", color: "#0a0e14" },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const apiDocsUrl = `${await gatewayUrlForRequest()}/api/v2/docs/`;
  return (
    <html lang="en">
      <body>
        <SkipLink />
        <SiteHeader />
        <main id="main" className="content" tabIndex={-1}>
          {children}
        </main>
        <SiteFooter apiDocsUrl={apiDocsUrl} />
      </body>
    </html>
  );
}
