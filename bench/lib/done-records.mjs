/**
 * Reads what a finished run left in a local datastore: its run id and the attempts' done records
 * (`<root>/<Flow>/<runId>/<step>/<taskId>/<attempt>.done.json`, with a `metrics` object).
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The run id: from the `--run-id-file`, or else from the `<Flow>/<runId>` first line of the output.
 *
 * @example
 * ```js
 * const runId = readRunId('/tmp/x/run-id', stdout, 'ArtifactsFlow');
 * ```
 */
export function readRunId(runIdFile, stdout, flowName) {
  if (fs.existsSync(runIdFile)) {
    const id = fs.readFileSync(runIdFile, 'utf8').trim();
    if (id) return id;
  }
  const m = new RegExp(`^${flowName}/(\\S+)\\s*$`, 'm').exec(stdout);
  if (m) return m[1];
  throw new Error(
    `the run wrote no run id: ${runIdFile} is missing or empty, and no "${flowName}/<runId>" line was printed`,
  );
}

/**
 * The done record of the latest successful attempt of a step's (single) task.
 * Returns `{ file, record }`.
 *
 * @throws Error naming what is missing (step folder, task folder, done record, ok attempt).
 * @example
 * ```js
 * const { record } = findDoneRecord(root, 'ArtifactsFlow', runId, 'start');
 * record.metrics.artifactSaveBytes;
 * ```
 */
export function findDoneRecord(root, flowName, runId, step) {
  const stepDir = path.join(root, flowName, runId, step);
  if (!fs.existsSync(stepDir)) {
    const runDir = path.join(root, flowName, runId);
    const found = fs.existsSync(runDir) ? fs.readdirSync(runDir).join(', ') : `nothing (no ${runDir})`;
    throw new Error(`no folder for step "${step}" at ${stepDir}; the run folder holds: ${found}`);
  }
  const candidates = [];
  for (const taskId of fs.readdirSync(stepDir)) {
    const taskDir = path.join(stepDir, taskId);
    if (!fs.statSync(taskDir).isDirectory()) continue;
    for (const name of fs.readdirSync(taskDir)) {
      const m = /^(\d+)\.done\.json$/.exec(name);
      if (m) candidates.push({ attempt: Number(m[1]), file: path.join(taskDir, name) });
    }
  }
  const ok = candidates
    .map((c) => ({ ...c, record: JSON.parse(fs.readFileSync(c.file, 'utf8')) }))
    .filter((c) => c.record.ok !== false)
    .sort((a, b) => b.attempt - a.attempt);
  if (ok.length === 0) {
    throw new Error(
      `no successful <attempt>.done.json under ${stepDir} (found ${candidates.length} done records)`,
    );
  }
  return { file: ok[0].file, record: ok[0].record };
}

/**
 * A number from a done record's `metrics`, or a clear error naming the record and the key.
 *
 * @example
 * ```js
 * metric(found, 'artifactSaveMs');
 * ```
 */
export function metric(found, key) {
  const value = found.record.metrics?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(
      `${found.file} has no number metrics.${key} (metrics: ${JSON.stringify(found.record.metrics ?? null)}); ` +
        'the framework must record { artifactSaveBytes, artifactSaveMs, artifactLoadBytes, artifactLoadMs }',
    );
  }
  return value;
}
