/**
 * Consecutive groups of at most `count` items and about `bytes` bytes (an item bigger than
 * `bytes` goes alone): bounded work and memory per group, order kept.
 */
export function groupsOf<T>(items: readonly T[], size: (item: T) => number, limits: { count?: number; bytes: number }): T[][] {
  const count = limits.count ?? Number.POSITIVE_INFINITY;
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= count || bytes + size(item) > limits.bytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size(item);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
