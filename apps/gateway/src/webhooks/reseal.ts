import { WebhookStore, type Pool } from "@probestream/db";
import { SecretBox } from "./secret-box.js";

/** A secret that opens under neither key: the rotation is not made (nothing changed). */
class UnreadableSecretError extends Error {}

/**
 * Re-seals every webhook secret from `oldKey` to `newKey` in one transaction, so that an operator can
 * rotate WEBHOOK_SECRET_KEY: the secrets themselves (what receivers verify signatures with) stay the
 * same. A secret already sealed under the new key is left as it is, so running it again (say, after a
 * gateway still on the old key sealed a new secret meanwhile) is safe. One that opens under neither
 * key stops it before anything is written.
 */
export async function resealWebhookSecrets(pool: Pool, oldKey: Buffer, newKey: Buffer): Promise<{ resealed: number; total: number }> {
  const from = new SecretBox(oldKey);
  const to = new SecretBox(newKey);
  return new WebhookStore(pool).resealSecrets((sealed, userId, id) => {
    let secret: string;
    try {
      secret = from.open(sealed, userId);
    } catch {
      try {
        to.open(sealed, userId);
        return null;
      } catch {
        throw new UnreadableSecretError(`the secret of webhook ${id} opens under neither the old nor the new key`);
      }
    }
    return to.seal(secret, userId);
  });
}
