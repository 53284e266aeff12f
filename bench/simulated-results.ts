import type { ResultToStore, ResultWriter } from "@probestream/db";
import { generateResult, type ProbeProfile, type Random } from "@probestream/simulator";

const DAY = 86_400;
const BATCH = 1000;

/**
 * Stores `perType` simulated results of `measurement` spread over the day starting at `day` (Unix
 * seconds), round-robin over `probes`, through the writer in batches of 1,000.
 */
export async function storeSimulatedDay(
  writer: ResultWriter,
  measurement: Parameters<typeof generateResult>[0]["measurement"],
  probes: readonly ProbeProfile[],
  random: Random,
  day: number,
  perType: number,
): Promise<void> {
  for (let n = 0; n < perType; n += BATCH) {
    const batch: ResultToStore[] = [];
    for (let k = n; k < Math.min(n + BATCH, perType); k++) {
      const probe = probes[k % probes.length]!;
      const timestamp = day + Math.floor((k * DAY) / perType);
      const result = generateResult({ probe, measurement, timestamp, random });
      batch.push({ msmId: measurement.id, prbId: probe.prbId, timestamp, type: measurement.type, body: JSON.stringify(result) });
    }
    await writer.write(batch);
  }
}
