/**
 * The bus format of `Channels.webhooks`: the id of the webhook created or changed, in decimal. Workers
 * take the news as a cue to look for webhooks to lease, so they read the id only to reject a foreign message.
 */
export function encodeWebhookChanged(id: number): string {
  return String(id);
}

/** The webhook id of a webhook message; throws on a message that is not one. */
export function decodeWebhookChanged(message: string): number {
  const id = Number(message);
  if (!Number.isSafeInteger(id) || id <= 0 || String(id) !== message) throw new Error("a webhook message without a webhook id");
  return id;
}
