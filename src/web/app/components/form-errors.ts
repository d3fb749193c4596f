import { ApiError } from '../api/client';

export interface SplitErrors {
  /** Field path (`incoming.port`) → the message without the path (`must not be greater than 65535`). */
  fields: Record<string, string>;
  /** Every message, in the service's words, for the summary above the form. */
  all: string[];
}

// The contract: a 400's `message` entries start with the field path, e.g. `incoming.port …`
// or `incoming.foo: property foo should not exist`.
const FIELD_MESSAGE = /^([A-Za-z_$][\w$]*(?:\.[\w$]+)*):?\s+([\s\S]+)$/;

/** Sorts a 400's messages onto the form's fields; `isField` says which paths the form has. */
export function splitFieldErrors(error: unknown, isField: (path: string) => boolean): SplitErrors {
  const fields: Record<string, string> = {};
  if (!(error instanceof ApiError) || error.status !== 400) return { fields, all: [] };
  for (const message of error.messages) {
    const match = FIELD_MESSAGE.exec(message);
    if (!match) continue;
    // `emailAddresses.1 must be an email` belongs to the emailAddresses field; a path the form
    // does not have belongs to its nearest parent that it does.
    let path = match[1].split('.').filter((part) => !/^\d+$/.test(part)).join('.');
    while (path && !isField(path)) path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    if (path && !fields[path]) fields[path] = match[2];
  }
  return { fields, all: error.messages };
}

/** True for any path that exists in `values` (nested objects). */
export function pathExists(values: unknown, path: string): boolean {
  let node: unknown = values;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in (node as object))) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

/** '' → null for optional text fields. */
export const blankToNull = (value: string | null | undefined): string | null => (value && value.trim() ? value.trim() : null);
