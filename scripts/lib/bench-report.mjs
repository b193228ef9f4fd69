/**
 * Turns benchmark results into the printed table and the JSON file.
 *
 * A row is `{ metric, value, unit, baseline?: { label, value }, target?: { min?, max? }, lowerIsBetter? }`
 * (`lowerIsBetter` is informational, kept in the JSON);
 * the ratio is always value ÷ baseline (so for times, 3.0× means three times the baseline's time).
 *
 * @module
 */

/**
 * Add `ratio` and `meetsTarget` to a row.
 *
 * @example
 * ```js
 * finishRow({ metric: 'x', value: 30, unit: 'tasks/s', baseline: { label: 'b', value: 60 }, target: { min: 15 } });
 * // → { ..., ratio: 0.5, meetsTarget: true }
 * ```
 */
export function finishRow(row) {
  if (typeof row.metric !== 'string' || typeof row.value !== 'number') {
    throw new Error(
      `a benchmark row needs { metric: string, value: number, unit }, got ${JSON.stringify(row)}`,
    );
  }
  const out = { ...row };
  if (row.baseline && row.baseline.value > 0) out.ratio = row.value / row.baseline.value;
  if (row.target) {
    const { min, max } = row.target;
    out.meetsTarget = (min === undefined || row.value >= min) && (max === undefined || row.value <= max);
  }
  return out;
}

/**
 * The results table, one line per row, and one line per failed benchmark.
 *
 * @example
 * ```js
 * process.stdout.write(formatTable(results));
 * ```
 */
export function formatTable(results) {
  const header = ['benchmark', 'metric', 'value', 'baseline', 'ratio', 'target'];
  const lines = [];
  for (const r of results) {
    if (r.error) lines.push(`${r.name}  ✖ ERROR: ${firstLine(r.error)}`);
    for (const row of r.rows ?? []) {
      lines.push([
        r.name,
        row.metric,
        `${num(row.value)} ${row.unit}`,
        row.baseline ? `${num(row.baseline.value)} ${row.unit} (${row.baseline.label})` : '—',
        row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`,
        target(row),
      ]);
    }
  }
  const rows = lines.filter((l) => Array.isArray(l));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((l) => l[i].length)));
  const fmt = (cells) =>
    typeof cells === 'string'
      ? cells
      : cells
          .map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
          .join('  ')
          .trimEnd();
  return `${[fmt(header), widths.map((w) => '─'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n')}\n`;
}

/**
 * A figure with about three significant digits.
 *
 * @example
 * ```js
 * num(1234.5); // '1235'
 * num(12.345); // '12.3'
 * ```
 */
export function num(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
}

function target(row) {
  if (!row.target) return '—';
  const { min, max } = row.target;
  const text = [min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : '']
    .filter(Boolean)
    .join(' ');
  return `${text} ${row.unit} ${row.meetsTarget ? '✔' : '✖ missed'}`;
}

function firstLine(text) {
  const line = String(text).split('\n')[0];
  return line.length > 110 ? `${line.slice(0, 107)}...` : line;
}
