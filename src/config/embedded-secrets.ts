import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppConfig } from './app-config';
import { ConfigError } from './app-config';

/** Where generated secrets are kept, inside DATA_DIR. */
export const SECRETS_FILE = 'secrets.json';

type SecretName = 'JWT_SECRET' | 'HOOK_SECRET' | 'PLAY_URL_SECRET';
const MIN_LENGTH = 16;

/**
 * Embedded default: secrets that were not set are generated once and kept in
 * DATA_DIR/secrets.json (mode 0600), so a restart keeps sign-ins, play URLs and the hook secret
 * the media server was configured with. A secret set in the environment always wins. Production
 * never gets here (loadConfig requires the secrets there). Returns the config with the kept
 * values, and the file path when one was used.
 */
export function withKeptSecrets(config: AppConfig): { config: AppConfig; file?: string } {
  const generated: (readonly [SecretName, { secret: string; generated: boolean }])[] = (
    [
      ['JWT_SECRET', config.jwt],
      ['HOOK_SECRET', config.hooks],
      ['PLAY_URL_SECRET', config.playUrl],
    ] as const
  ).filter(([, s]) => s.generated);
  if (config.isProduction || generated.length === 0) return { config };

  const file = path.join(config.dataDir, SECRETS_FILE);
  const kept = readKept(file);
  let changed = false;
  const values = {} as Record<SecretName, string>;
  for (const [name, s] of generated) {
    const value = kept[name];
    if (typeof value === 'string' && value.length >= MIN_LENGTH) values[name] = value;
    else {
      values[name] = s.secret;
      kept[name] = s.secret;
      changed = true;
    }
  }
  if (changed) writeKept(file, kept);

  return {
    file,
    config: {
      ...config,
      jwt: { ...config.jwt, secret: values.JWT_SECRET ?? config.jwt.secret },
      hooks: { ...config.hooks, secret: values.HOOK_SECRET ?? config.hooks.secret },
      playUrl: { ...config.playUrl, secret: values.PLAY_URL_SECRET ?? config.playUrl.secret },
    },
  };
}

function readKept(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Invalid configuration: cannot read ${file} (${(err as Error).message})`);
  }
  // Someone loosened the mode: the secrets are still ours to protect.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ConfigError(
    `Invalid configuration: ${file} is not a JSON object of secrets; fix or delete it`,
  );
}

function writeKept(file: string, kept: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  // Created 0600 from the start (never readable by others, not even briefly), then renamed
  // into place so a crash cannot leave half a file.
  fs.writeFileSync(tmp, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
