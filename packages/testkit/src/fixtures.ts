import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

export interface Fixture {
  file: string;
  type: string;
  result: Record<string, unknown>;
}

/** The 112 real RIPE Atlas results kept with the types package, one per file. */
export function loadFixtures(): Fixture[] {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve("@probestream/types/package.json")), "fixtures", "results");
  const out: Fixture[] = [];
  for (const type of readdirSync(root).sort()) {
    for (const file of readdirSync(join(root, type)).sort()) {
      const result = JSON.parse(readFileSync(join(root, type, file), "utf8")) as Record<string, unknown>;
      out.push({ file: `${type}/${file}`, type, result });
    }
  }
  return out;
}
