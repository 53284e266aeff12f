import { HttpError } from "@probestream/service-kit";

/** One item of a submitted batch: a parsed value, or the reason its line could not be parsed. */
export type BatchItem = { value: unknown } | { parseError: string };

/**
 * A batch is a JSON array (or a single object) or NDJSON, one result per line. A malformed JSON
 * body cannot be split into results and fails whole; a malformed NDJSON line fails alone.
 */
export function parseBatch(body: string, ndjson: boolean): BatchItem[] {
  if (ndjson) {
    const items: BatchItem[] = [];
    for (const line of body.split("\n")) {
      const text = line.trim();
      if (text === "") continue;
      try {
        items.push({ value: JSON.parse(text) });
      } catch (err) {
        items.push({ parseError: `not valid JSON: ${(err as Error).message}` });
      }
    }
    return items;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new HttpError(400, `Body is not valid JSON: ${(err as Error).message}`, [
      { source: { pointer: "/" }, detail: "not valid JSON" },
    ]);
  }
  if (Array.isArray(parsed)) return parsed.map((value) => ({ value }));
  if (parsed !== null && typeof parsed === "object") return [{ value: parsed }];
  throw new HttpError(400, "Body must be a JSON array of results, a result object, or NDJSON", [
    { source: { pointer: "/" }, detail: "expected an array or an object" },
  ]);
}
