"use client";

import { useEffect, useState } from "react";
import { formatMs, formatTime } from "../../lib/format";
import { errorOf, isRecord, num, text, type UntypedResult } from "./fields";
import { busiestProbes } from "./ping-view";
import type { ProbeAggregate, StoreView } from "./result-store";
import { decodeCert, expiryOf, sha256Fingerprint, type DecodedCert, type Expiry } from "./sslcert-data";
import styles from "./views.module.css";
import { ScrollTable } from "./scroll-table";

const LISTED_PROBES = 50;

const EXPIRY_TEXT: Record<Expiry, string> = {
  expired: "expired",
  soon: "expires within 30 days",
  valid: "valid",
  "not-yet-valid": "not yet valid",
};

function certsOf(result: UntypedResult): string[] {
  return Array.isArray(result.cert) ? result.cert.filter((c): c is string => typeof c === "string") : [];
}

function failureOf(result: UntypedResult): string | null {
  // The probes spell the alert's field "decription".
  if (isRecord(result.alert)) return `TLS alert ${num(result.alert.decription) ?? num(result.alert.description) ?? "?"}`;
  return errorOf(result);
}

function Fingerprint({ der }: { der: ArrayBuffer }) {
  const [value, setValue] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    let current = true;
    void sha256Fingerprint(der).then((fp) => current && setValue(fp));
    return () => {
      current = false;
    };
  }, [der]);
  if (value === undefined) return <>…</>;
  return <>{value ?? "needs a secure (HTTPS) page to compute"}</>;
}

function Cert({ cert, position }: { cert: DecodedCert; position: number }) {
  const expiry = expiryOf(cert, Date.now());
  const expiryClass = expiry === "valid" ? styles.ok : expiry === "soon" ? styles.warn : styles.bad;
  return (
    <li className={styles.card} data-testid="cert" data-expiry={expiry}>
      <dl>
        <dt>{position === 0 ? "Subject (server)" : "Subject"}</dt>
        <dd className={styles.mono}>{cert.subject}</dd>
        <dt>Issuer</dt>
        <dd className={styles.mono}>{cert.issuer}</dd>
        <dt>Valid</dt>
        <dd>
          {formatTime(cert.notBefore)} – {formatTime(cert.notAfter)}{" "}
          <strong className={expiryClass} data-testid="cert-expiry">
            {EXPIRY_TEXT[expiry]}
          </strong>
        </dd>
        <dt>Key</dt>
        <dd>{cert.key}</dd>
        <dt>SHA-256 fingerprint</dt>
        <dd className={styles.mono} data-testid="cert-fingerprint">
          <Fingerprint der={cert.der} />
        </dd>
      </dl>
    </li>
  );
}

function Chain({ pems }: { pems: string[] }) {
  return (
    <ol className={styles.section}>
      {pems.map((pem, i) => {
        const cert = decodeCert(pem);
        return cert instanceof Error ? (
          <li key={i} className={styles.bad}>
            Certificate {i + 1} could not be decoded: {cert.message}
          </li>
        ) : (
          <Cert key={i} cert={cert} position={i} />
        );
      })}
    </ol>
  );
}

/** Probes grouped by the chain they were served (usually one chain for all). */
function chainsOf(probes: ProbeAggregate[]): { pems: string[]; prbIds: number[] }[] {
  const chains = new Map<string, { pems: string[]; prbIds: number[] }>();
  for (const p of probes) {
    const pems = certsOf(p.last);
    if (pems.length === 0) continue;
    const key = pems.join("\n");
    const chain = chains.get(key) ?? { pems, prbIds: [] };
    chain.prbIds.push(p.prbId);
    chains.set(key, chain);
  }
  return [...chains.values()];
}

export function SslcertView({ view }: { view: StoreView }) {
  const listed = busiestProbes(view.probes, LISTED_PROBES);
  const chains = chainsOf(listed);
  return (
    <div data-testid="sslcert-view">
      <section className={styles.section} aria-labelledby="tls-chains">
        <h3 id="tls-chains">Certificate chains</h3>
        {chains.length === 0 && <p className={styles.note}>No certificate received yet.</p>}
        {chains.map((chain) => (
          <div key={chain.pems.join("")} data-testid="cert-chain">
            <p className={styles.note}>Seen by probe{chain.prbIds.length > 1 ? "s" : ""} {chain.prbIds.join(", ")}</p>
            <Chain pems={chain.pems} />
          </div>
        ))}
      </section>
      <section className={styles.section} aria-labelledby="tls-probes">
        <h3 id="tls-probes">Handshakes per probe</h3>
        <ScrollTable label="TLS handshakes per probe">
          <thead>
            <tr>
              <th scope="col">Probe</th>
              <th scope="col">Server</th>
              <th scope="col">TLS</th>
              <th scope="col" className={styles.num}>Connect</th>
              <th scope="col" className={styles.num}>Response</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {listed.map((p) => {
              const failure = failureOf(p.last);
              return (
                <tr key={p.prbId} data-testid="tls-probe">
                  <th scope="row">{p.prbId}</th>
                  <td className={styles.mono}>
                    {text(p.last.dst_name) ?? "—"} {text(p.last.dst_addr) ? `(${text(p.last.dst_addr)})` : ""}
                  </td>
                  <td>{[text(p.last.method), text(p.last.ver)].filter(Boolean).join(" ") || "—"}</td>
                  <td className={styles.num}>{formatMs(num(p.last.ttc))}</td>
                  <td className={styles.num}>{formatMs(num(p.last.rt))}</td>
                  <td className={failure ? styles.bad : ""}>{failure ?? `${certsOf(p.last).length} certificate(s)`}</td>
                </tr>
              );
            })}
          </tbody>
        </ScrollTable>
      </section>
    </div>
  );
}
