/**
 * The bus format of committed results: one line per result, `<id> <json>`, where id is the
 * result's position in storage (it orders results and lets a reader resume) and json is the
 * result as stored, `stored_timestamp` included. JSON.stringify output holds no raw newline,
 * so a batch is split without parsing the results themselves.
 */
export interface PublishedResult {
  id: string;
  json: string;
}

export function encodeResultBatch(results: readonly PublishedResult[]): string {
  let out = "";
  for (const r of results) out += `${r.id} ${r.json}\n`;
  return out;
}

export function decodeResultBatch(message: string): PublishedResult[] {
  const out: PublishedResult[] = [];
  let start = 0;
  while (start < message.length) {
    let end = message.indexOf("\n", start);
    if (end === -1) end = message.length;
    const space = message.indexOf(" ", start);
    if (space > start && space < end) {
      out.push({ id: message.slice(start, space), json: message.slice(space + 1, end) });
    }
    start = end + 1;
  }
  return out;
}
