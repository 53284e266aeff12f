/**
 * Whom a measurement's results and events are private to: nobody (null) when it is public, else its
 * owner (0 for a private measurement without one, which no user is). The JavaScript of the rule that
 * `MEASUREMENT_PRIVATE_TO_SQL` (packages/db) states in SQL; each surface then shows a private measurement
 * only to that user's key.
 */
export function privateToOf(m: { is_public: boolean; owner_id: number | null }): number | null {
  return m.is_public ? null : (m.owner_id ?? 0);
}
