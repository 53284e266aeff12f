import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Webhook secrets sealed with AES-256-GCM under the server's key, so that a dump of the database
 * does not reveal them: `version(1) | iv(12) | tag(16) | ciphertext`. The owning user's id is bound
 * in as associated data, so a sealed secret copied onto another user's webhook does not open.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("the webhook secret key must be 32 bytes (WEBHOOK_SECRET_KEY: 64 hex digits or 44 base64 characters)");
    this.key = key;
  }

  /** A key from its text: 64 hex digits or base64 of 32 bytes. */
  static keyFromText(text: string): Buffer {
    const trimmed = text.trim();
    return /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  }

  seal(secret: string, userId: number): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(aad(userId));
    const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  /** The secret; throws when it was sealed under another key or altered. */
  open(sealed: Buffer, userId: number): string {
    if (sealed[0] !== VERSION || sealed.length < 1 + IV_BYTES + TAG_BYTES) throw new Error("not a sealed webhook secret");
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
    decipher.setAAD(aad(userId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  }
}

const aad = (userId: number) => Buffer.from(`probestream-webhook-secret:${userId}`);
