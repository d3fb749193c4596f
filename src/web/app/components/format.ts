import type { Address } from '../api/types';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : dateTime.format(date);
}

export function formatTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : time.format(date);
}

/** "in 4 min", "3 h ago": for next/last fetch times. */
export function formatRelative(value: string | null | undefined, now = Date.now()): string {
  if (!value) return '—';
  const diff = new Date(value).getTime() - now;
  if (Number.isNaN(diff)) return value;
  const minutes = Math.round(Math.abs(diff) / 60_000);
  const text = minutes < 1 ? 'less than a minute' : minutes < 90 ? `${minutes} min` : minutes < 36 * 60 ? `${Math.round(minutes / 60)} h` : `${Math.round(minutes / 1440)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export function formatBytes(size: number | null | undefined): string {
  if (size === null || size === undefined) return '—';
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function formatAddress(address: Address | null | undefined): string {
  if (!address) return '';
  if (typeof address === 'string') return address;
  return address.name ? `${address.name} <${address.email}>` : address.email;
}

export function formatAddresses(value: Address | Address[] | null | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map(formatAddress).join(', ');
}

/** ISO date-time → the `YYYY-MM-DD` of a date input (UTC), and back. */
export function toDateInput(value: string | null | undefined): string {
  return value ? value.slice(0, 10) : '';
}
export function fromDateInput(value: string): string | null {
  return value ? `${value}T00:00:00Z` : null;
}
