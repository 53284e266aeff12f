/** What the index needs to know of a result to route it. */
export interface RoutedResult {
  msmId: number;
  prbId: number;
  type: string;
}

export interface ResultFilter {
  msm?: number;
  prb?: number;
  type?: string;
}

/**
 * Result subscriptions indexed by their most selective filter (msm, then prb, then type), so that
 * routing a result looks only at subscriptions that could want it, however many others exist.
 */
export class ResultIndex<S extends { filter: ResultFilter }> {
  private readonly byMsm = new Map<number, Set<S>>();
  private readonly byPrb = new Map<number, Set<S>>();
  private readonly byType = new Map<string, Set<S>>();
  private readonly unfiltered = new Set<S>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(sub: S): void {
    const bucket = this.bucketOf(sub.filter, true)!;
    if (!bucket.has(sub)) {
      bucket.add(sub);
      this.count++;
    }
  }

  remove(sub: S): void {
    const { msm, prb, type } = sub.filter;
    const bucket = this.bucketOf(sub.filter, false);
    if (!bucket?.delete(sub)) return;
    this.count--;
    if (bucket.size > 0 || bucket === this.unfiltered) return;
    if (msm !== undefined) this.byMsm.delete(msm);
    else if (prb !== undefined) this.byPrb.delete(prb);
    else if (type !== undefined) this.byType.delete(type);
  }

  /** Calls `deliver` for every subscription matching the result. */
  forEachMatch(result: RoutedResult, deliver: (sub: S) => void): void {
    const visit = (set: Set<S> | undefined) => {
      if (!set) return;
      for (const sub of set) if (matches(sub.filter, result)) deliver(sub);
    };
    visit(this.byMsm.get(result.msmId));
    visit(this.byPrb.get(result.prbId));
    visit(this.byType.get(result.type));
    visit(this.unfiltered);
  }

  private bucketOf(filter: ResultFilter, create: boolean): Set<S> | undefined {
    const pick = <K>(map: Map<K, Set<S>>, key: K) => {
      let set = map.get(key);
      if (!set && create) map.set(key, (set = new Set()));
      return set;
    };
    if (filter.msm !== undefined) return pick(this.byMsm, filter.msm);
    if (filter.prb !== undefined) return pick(this.byPrb, filter.prb);
    if (filter.type !== undefined) return pick(this.byType, filter.type);
    return this.unfiltered;
  }
}

function matches(f: ResultFilter, r: RoutedResult): boolean {
  return (
    (f.msm === undefined || f.msm === r.msmId) &&
    (f.prb === undefined || f.prb === r.prbId) &&
    (f.type === undefined || f.type === r.type)
  );
}
