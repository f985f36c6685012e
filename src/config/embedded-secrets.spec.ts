import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from './app-config';
import { SECRETS_FILE, withKeptSecrets } from './embedded-secrets';

describe('withKeptSecrets', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-secrets-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('generates the unset secrets once into DATA_DIR/secrets.json (0600) and reuses them', () => {
    const first = withKeptSecrets(loadConfig({ DATA_DIR: dir }));
    const file = path.join(dir, SECRETS_FILE);
    expect(first.file).toBe(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(kept).toEqual({
      JWT_SECRET: first.config.jwt.secret,
      HOOK_SECRET: first.config.hooks.secret,
      PLAY_URL_SECRET: first.config.playUrl.secret,
    });
    expect(first.config.hooks.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const second = withKeptSecrets(loadConfig({ DATA_DIR: dir }));
    expect(second.config.jwt.secret).toBe(first.config.jwt.secret);
    expect(second.config.hooks.secret).toBe(first.config.hooks.secret);
    expect(second.config.playUrl.secret).toBe(first.config.playUrl.secret);
  });

  it('lets a secret set in the environment win and keeps only the others', () => {
    const set = 'a-hook-secret-from-the-environment';
    const r = withKeptSecrets(loadConfig({ DATA_DIR: dir, HOOK_SECRET: set }));
    expect(r.config.hooks.secret).toBe(set);
    const kept = JSON.parse(fs.readFileSync(path.join(dir, SECRETS_FILE), 'utf8'));
    expect(Object.keys(kept).sort()).toEqual(['JWT_SECRET', 'PLAY_URL_SECRET']);
    // Unset again later: generated then, and kept from then on.
    const later = withKeptSecrets(loadConfig({ DATA_DIR: dir }));
    expect(later.config.jwt.secret).toBe(r.config.jwt.secret);
    expect(later.config.hooks.secret).not.toBe(set);
  });

  it('writes nothing when every secret is set, and tightens a loosened file mode', () => {
    const all = {
      JWT_SECRET: 'j'.repeat(32),
      HOOK_SECRET: 'h'.repeat(32),
      PLAY_URL_SECRET: 'p'.repeat(32),
    };
    expect(withKeptSecrets(loadConfig({ DATA_DIR: dir, ...all })).file).toBeUndefined();
    expect(fs.existsSync(path.join(dir, SECRETS_FILE))).toBe(false);

    withKeptSecrets(loadConfig({ DATA_DIR: dir }));
    fs.chmodSync(path.join(dir, SECRETS_FILE), 0o644);
    withKeptSecrets(loadConfig({ DATA_DIR: dir }));
    expect(fs.statSync(path.join(dir, SECRETS_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuses an unreadable file with one line naming it, and production never generates', () => {
    fs.writeFileSync(path.join(dir, SECRETS_FILE), '[1, 2]', { mode: 0o600 });
    expect(() => withKeptSecrets(loadConfig({ DATA_DIR: dir }))).toThrow(ConfigError);
    expect(() => withKeptSecrets(loadConfig({ DATA_DIR: dir }))).toThrow(/secrets\.json/);
    expect(() => loadConfig({ DATA_DIR: dir, NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });
});
