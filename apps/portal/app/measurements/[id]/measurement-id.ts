/** A measurement id from the URL, or null when it cannot be one (ids are positive int4). */
export function parseMeasurementId(raw: string): number | null {
  return /^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 2_147_483_647 ? Number(raw) : null;
}
