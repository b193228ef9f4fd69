/**
 * "Did you mean" for names a user types: CLI options, decorators, decorator options, steps. One small
 * edit distance (Damerau–Levenshtein, optimal string alignment: a swapped pair of letters counts once).
 *
 * @module
 */

/**
 * The number of single-letter insertions, deletions, substitutions and swaps of neighbours that turn `a`
 * into `b`.
 *
 * @example
 * ```ts
 * editDistance('memroy', 'memory'); // 1
 * editDistance('--max-worker', '--max-workers'); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The candidate closest to `word` (case ignored), if it is close enough to be a likely typo: at most a
 * third of the word's letters differ (at least one may).
 *
 * @example
 * ```ts
 * closestName('memroy', ['cpu', 'memory', 'queue']); // 'memory'
 * closestName('gpu2', ['memory']); // undefined
 * ```
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.replace(/^-+/, '').length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance && distance <= limit) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * A sentence to put in an error message: ` Did you mean "memory"?`, or `''` when nothing is close.
 * `quote` wraps the name (`"` by default; `''` for CLI flags).
 *
 * @example
 * ```ts
 * `unknown option "memroy".${didYouMean('memroy', ['memory'])}`; // 'unknown option "memroy". Did you mean "memory"?'
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>, quote = '"'): string {
  const best = closestName(word, candidates);
  return best === undefined || best === word ? '' : ` Did you mean ${quote}${best}${quote}?`;
}
