/**
 * Hiding credential-like values when settings are printed.
 *
 * @module
 */

/**
 * Masks a secret for display: `****` plus at most its last 4 characters (none for short values or JSON);
 * an empty JSON object, which hides nothing, stays `{}`.
 *
 * @example
 * ```ts
 * maskSecret('abcd1234efgh5678'); // '****5678'
 * maskSecret('short');            // '****'
 * maskSecret({ token: 'x' });     // '****'
 * maskSecret({});                 // '{}'
 * ```
 */
export function maskSecret(value: unknown): string {
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return '{}';
  if (typeof value !== 'string' || value.length < 12) return '****';
  return `****${value.slice(-4)}`;
}
