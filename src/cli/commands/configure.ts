/**
 * `stepflow configure show [--json]`: every effective setting, its value (secrets masked) and where it
 * came from.
 *
 * @module
 */
import { loadConfig, maskSecret, type ProfileFile, type SettingEntry } from '../../config/index.js';

/** Extra help of `configure show`. */
export const CONFIGURE_HELP = `
Settings resolve as in Metaflow: the environment variable (METAFLOW_<NAME>, or STEPFLOW_<NAME> for
stepflow's own), then the profile file $METAFLOW_HOME/config.json (home ~/.metaflowconfig;
METAFLOW_PROFILE=p reads config_p.json), then the default. Secret values are masked.
`;

interface Writable {
  write(text: string): unknown;
}

function display(entry: SettingEntry): string {
  if (entry.error) return '<invalid>';
  if (entry.value === undefined) return '-';
  if (entry.secret) return maskSecret(entry.value);
  return typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value);
}

function sourceText(entry: SettingEntry): string {
  const { kind, detail } = entry.source;
  if (kind !== 'default') return kind;
  return detail.startsWith('<') ? `default (${detail})` : 'default';
}

function profileLine(profile: ProfileFile): string {
  const which = profile.profile ? ` (METAFLOW_PROFILE=${profile.profile})` : '';
  return profile.found
    ? `Profile file: ${profile.path}${which}`
    : `Profile file: ${profile.path} does not exist: settings come from the environment and defaults`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i].length))));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function jsonValue(entry: SettingEntry): unknown {
  if (entry.error || entry.value === undefined) return null;
  if (!entry.secret) return entry.value;
  const masked = maskSecret(entry.value);
  return masked === '{}' ? entry.value : masked;
}

/**
 * Prints every setting (`NAME  VALUE  SOURCE`, or JSON with `--json`); returns the exit code: 1 when a
 * setting has a value of the wrong type (each is explained on stderr), else 0.
 *
 * @example
 * ```ts
 * process.exitCode = configureShowCommand({ json: true });
 * ```
 */
export function configureShowCommand(
  opts: { json?: boolean },
  io: { stdout: Writable; stderr: Writable; env?: NodeJS.ProcessEnv } = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): number {
  const config = loadConfig(io.env ?? process.env);
  const entries = config.all();
  const errors = entries.filter((e) => e.error !== undefined);
  if (opts.json) {
    const doc = {
      profile: {
        path: config.profile.path,
        profile: config.profile.profile ?? null,
        found: config.profile.found,
      },
      settings: entries.map((e) => ({
        name: e.variable,
        value: jsonValue(e),
        source: e.source.kind,
        detail: e.source.detail,
        secret: e.secret,
        ...(e.error ? { error: e.error.message } : {}),
      })),
    };
    io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    const rows = [
      ['NAME', 'VALUE', 'SOURCE'],
      ...entries.map((e) => [e.variable, display(e), sourceText(e)]),
    ];
    io.stdout.write(`${profileLine(config.profile)}\n\n${table(rows)}\n`);
  }
  for (const e of errors) io.stderr.write(`stepflow: error: ${e.error?.message}\n`);
  return errors.length > 0 ? 1 : 0;
}
