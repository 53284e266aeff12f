import { Buffer } from "node:buffer";

/**
 * Serialised JSON texts joined into one Buffer: `head`, the parts with `separator` between them,
 * `tail` (for example a JSON array of stored results). Written straight into bytes because the
 * joined string costs far more once it passes V8's largest regular object (128 KB): measured here,
 * 1,000 results of 500 bytes joined and encoded took 2-5 µs a result, written this way 0.1 µs.
 * Node-only (Buffer): not in the browser-safe subpaths.
 */
export function joinJsonBytes(parts: readonly string[], separator: string, head = "", tail = ""): Buffer {
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, parts.length - 1) * Buffer.byteLength(separator);
  for (const part of parts) size += Buffer.byteLength(part);
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) at += out.write(separator, at);
    at += out.write(parts[i]!, at);
  }
  out.write(tail, at);
  return out;
}
