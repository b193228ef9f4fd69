/**
 * The AWS region, found as boto3 and the AWS CLI find it: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then
 * the `region` of the profile `AWS_PROFILE` (else `AWS_DEFAULT_PROFILE`, else `default`) in the AWS config
 * file (`AWS_CONFIG_FILE`, else `~/.aws/config`), then `us-east-1`. Every client stepflow makes (S3,
 * Batch, CloudWatch Logs) takes its region from here, and a Batch job gets the launching side's region
 * ({@link regionEnvironment}).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The region used when nothing names one (S3 answers any bucket's requests there, with a redirect).
 *
 * @example
 * ```ts
 * resolveRegion({}).region === DEFAULT_REGION; // true when no config file names one
 * ```
 */
export const DEFAULT_REGION = 'us-east-1';

/**
 * Where a region came from.
 *
 * @example
 * ```ts
 * const source: RegionSource = 'AWS_DEFAULT_REGION';
 * ```
 */
export type RegionSource = 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'config file' | 'default';

/**
 * A resolved region and where it came from (for messages: "region us-west-2 (from AWS_DEFAULT_REGION)").
 *
 * @example
 * ```ts
 * const r: ResolvedRegion = { region: 'eu-west-1', source: 'config file', file: '/home/me/.aws/config' };
 * ```
 */
export interface ResolvedRegion {
  readonly region: string;
  readonly source: RegionSource;
  /** The config file read, when the region came from it. */
  readonly file?: string;
  /** The profile whose section was read, when the region came from the config file. */
  readonly profile?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The path of the AWS config file: `AWS_CONFIG_FILE` (with `~` expanded), else `~/.aws/config`.
 *
 * @example
 * ```ts
 * awsConfigFile({ AWS_CONFIG_FILE: '/etc/aws.conf' }); // '/etc/aws.conf'
 * ```
 */
export function awsConfigFile(env: Env = process.env): string {
  const home = env.HOME || homedir();
  const named = env.AWS_CONFIG_FILE;
  if (named) return named.startsWith('~') ? path.join(home, named.slice(1)) : named;
  return path.join(home, '.aws', 'config');
}

/**
 * The profile in use: `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
 *
 * @example
 * ```ts
 * awsProfile({ AWS_PROFILE: 'dev' }); // 'dev'
 * ```
 */
export function awsProfile(env: Env = process.env): string {
  return env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
}

/**
 * The settings of one profile of an AWS config file's text: the section `[profile <name>]`, or
 * `[default]` (also `[profile default]`) for `default`; keys lower-cased, values trimmed, comments and
 * nested (indented) settings skipped.
 *
 * @example
 * ```ts
 * profileSettings('[profile dev]\nregion = eu-west-1\n', 'dev'); // { region: 'eu-west-1' }
 * ```
 */
export function profileSettings(text: string, profile: string): Record<string, string> {
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  const out: Record<string, string> = {};
  let inside = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === '') continue;
    const section = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(raw);
    if (section) {
      inside = wanted.includes((section[1] as string).replace(/\s+/g, ' '));
      continue;
    }
    if (!inside || /^\s/.test(raw)) continue;
    const eq = raw.indexOf('=');
    if (eq < 0) continue;
    const key = raw.slice(0, eq).trim().toLowerCase();
    const value = raw
      .slice(eq + 1)
      .replace(/\s[#;].*$/, '')
      .trim();
    if (key && !(key in out)) out[key] = value;
  }
  return out;
}

/** The region of the profile in the config file, if the file exists and names one. */
function configRegion(env: Env): { region: string; file: string; profile: string } | undefined {
  const file = awsConfigFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const profile = awsProfile(env);
  const region = profileSettings(text, profile).region;
  return region ? { region, file, profile } : undefined;
}

/**
 * Finds the region as boto3 and the AWS CLI do (see the module), with where it came from.
 *
 * @example
 * ```ts
 * resolveRegion({ AWS_DEFAULT_REGION: 'eu-west-1' }); // { region: 'eu-west-1', source: 'AWS_DEFAULT_REGION' }
 * ```
 */
export function resolveRegion(env: Env = process.env): ResolvedRegion {
  if (env.AWS_REGION) return { region: env.AWS_REGION, source: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const fromFile = configRegion(env);
  if (fromFile) return { ...fromFile, source: 'config file' };
  return { region: DEFAULT_REGION, source: 'default' };
}

/**
 * The region alone (see {@link resolveRegion}).
 *
 * @example
 * ```ts
 * new BatchClient({ region: awsRegion() });
 * ```
 */
export function awsRegion(env: Env = process.env): string {
  return resolveRegion(env).region;
}

/**
 * The variables that give a job (a process or container elsewhere) this side's region: both
 * `AWS_REGION` (the JavaScript SDK's) and `AWS_DEFAULT_REGION` (boto3's and the CLI's).
 *
 * @example
 * ```ts
 * regionEnvironment({ AWS_DEFAULT_REGION: 'eu-west-1' });
 * // { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1' }
 * ```
 */
export function regionEnvironment(env: Env = process.env): {
  AWS_REGION: string;
  AWS_DEFAULT_REGION: string;
} {
  const region = awsRegion(env);
  return { AWS_REGION: region, AWS_DEFAULT_REGION: region };
}
