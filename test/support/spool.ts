import fs from 'node:fs';

/** Spool files (core/spool) this process has open now, read from /proc: what a test compares before and after. */
export function openSpoolFiles(): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).includes('deskmail-spool-');
    } catch {
      return false; // closed while we looked
    }
  }).length;
}
