/**
 * The config layer: settings resolved as Metaflow resolves them (environment, profile file, default).
 *
 * @example
 * ```ts
 * import { loadConfig, resolveDatastoreSpec } from './config/index.js';
 * const spec = resolveDatastoreSpec(loadConfig(), { datastore: 'local' });
 * ```
 *
 * @module
 */
export {
  type DatastoreCliOptions,
  type DatastoreSpec,
  datastoreSpecForRoot,
  resolveDatastoreSpec,
} from './datastore-spec.js';
export { ConfigError } from './errors.js';
export { maskSecret } from './mask.js';
export {
  type Config,
  type LoadConfigOptions,
  loadConfig,
  type ProfileFile,
  type SettingEntry,
  type SettingSource,
} from './resolve.js';
export {
  type JsonObject,
  type JsonValue,
  SETTINGS,
  type SettingDef,
  type SettingName,
  type SettingType,
  type SettingValue,
  settingDef,
  variableName,
} from './settings.js';
export { currentUser } from './user.js';
