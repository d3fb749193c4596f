/**
 * UID sets for IMAP commands (RFC 3501 §9 `sequence-set`): `1:5,7,9:12`. One STORE / MOVE /
 * FETCH per set instead of one per message; sets are split so that no command line gets
 * near the ~8000 octet limit servers enforce (RFC 7162 §4 recommends clients stay below 8192).
 */
export const MAX_UID_SET_LENGTH = 4000;

/** Sorted, de-duplicated contiguous runs: `[1,2,3,5]` → `['1:3', '5']`. */
export function uidRanges(uids: readonly number[]): string[] {
  const sorted = [...new Set(uids)].filter((uid) => Number.isSafeInteger(uid) && uid > 0).sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0];
  let end = start;
  for (let i = 1; i <= sorted.length; i++) {
    const uid = sorted[i];
    if (uid === end + 1) {
      end = uid;
      continue;
    }
    if (start !== undefined) ranges.push(start === end ? String(start) : `${start}:${end}`);
    start = uid;
    end = uid;
  }
  return ranges;
}

/** The ranges joined into as few sets as fit `maxLength` characters each. */
export function uidSets(uids: readonly number[], maxLength = MAX_UID_SET_LENGTH): string[] {
  const sets: string[] = [];
  let current = '';
  for (const range of uidRanges(uids)) {
    if (current && current.length + 1 + range.length > maxLength) {
      sets.push(current);
      current = '';
    }
    current = current ? `${current},${range}` : range;
  }
  if (current) sets.push(current);
  return sets;
}
