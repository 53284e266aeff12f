// TLS certificate chains as probes saw them, decoded with @peculiar/x509.
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";

/** A certificate this close to its end is flagged. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface DecodedCert {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** e.g. "RSA 2048 bit", "EC P-256". */
  key: string;
  /** The DER bytes, for the fingerprint. */
  der: ArrayBuffer;
}

export type Expiry = "expired" | "soon" | "valid" | "not-yet-valid";

function keyText(algorithm: Record<string, unknown>): string {
  const name = typeof algorithm.name === "string" ? algorithm.name : "unknown";
  const family = name.startsWith("RSA") ? "RSA" : name.startsWith("EC") ? "EC" : name;
  if (typeof algorithm.modulusLength === "number") return `${family} ${algorithm.modulusLength} bit`;
  if (typeof algorithm.namedCurve === "string") return `${family} ${algorithm.namedCurve}`;
  return family;
}

const decoded = new Map<string, DecodedCert | Error>();

/** A PEM certificate decoded, or the reason it could not be; remembered (chains repeat across probes). */
export function decodeCert(pem: string): DecodedCert | Error {
  const known = decoded.get(pem);
  if (known) return known;
  let value: DecodedCert | Error;
  try {
    const cert = new X509Certificate(pem);
    value = {
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      key: keyText(cert.publicKey.algorithm as unknown as Record<string, unknown>),
      der: cert.rawData,
    };
  } catch (err) {
    value = err instanceof Error ? err : new Error(String(err));
  }
  if (decoded.size > 500) decoded.clear();
  decoded.set(pem, value);
  return value;
}

export function expiryOf(cert: DecodedCert, now: number): Expiry {
  if (cert.notAfter.getTime() < now) return "expired";
  if (cert.notBefore.getTime() > now) return "not-yet-valid";
  return cert.notAfter.getTime() - now < EXPIRY_WARNING_DAYS * DAY_MS ? "soon" : "valid";
}

/** SHA-256 of the DER bytes as colon-separated hex; null where the browser has no Web Crypto (plain HTTP on a remote host). */
export async function sha256Fingerprint(der: ArrayBuffer): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}
