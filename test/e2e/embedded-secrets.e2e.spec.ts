/**
 * The default a newcomer starts: no secrets in the environment. They are generated once into
 * DATA_DIR/secrets.json (0600) and reused, so a restart keeps sign-ins, play URLs and the hook
 * secret. Runs the built app (`npm run build` first) as a real process, restarted in between.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppProcess, spawnApp } from '../helpers/process';
import { until } from '../helpers/wait';
import { hlsCheck, nginxBody, nginxHook, playSession } from '../media/hook-client';

describe('embedded start without secrets', () => {
  let dataDir: string;
  let app: AppProcess | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-secrets-e2e-'));
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () => spawnApp({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  const kept = () =>
    JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;

  it('keeps sign-ins, play sessions and the hook secret across a restart, in a 0600 file', async () => {
    app = await start();
    const file = path.join(dataDir, 'secrets.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const secrets = kept();
    expect(Object.keys(secrets).sort()).toEqual(['HOOK_SECRET', 'JWT_SECRET', 'PLAY_URL_SECRET']);
    // One clear start-up line with the links a newcomer needs (log lines are written in batches,
    // at most 250 ms late: wait for it).
    const started = app;
    await until(() => started.output().includes('OnAir is listening'), {
      timeoutMs: 3000,
      message: 'no start-up line with the links',
    });
    const out = app.output();
    expect(out).toContain(`studio http://127.0.0.1:${app.port}/studio`);
    expect(out).toContain(`API docs http://127.0.0.1:${app.port}/docs`);
    expect(out).toContain(file);
    expect(out).not.toContain(secrets.HOOK_SECRET);

    const user = await app.http.user('keep');
    const created = await app.http.post('/api/v1/streams', { title: 'Kept' }, user.token);
    expect(created.status).toBe(201);
    const stream = { id: created.body.id as string, key: created.body.streamKey as string };
    const session = await playSession(app.http, stream.id);
    await app.stop();

    app = await start();
    expect(kept()).toEqual(secrets);
    expect((await app.http.get('/api/v1/auth/me', user.token)).status).toBe(200);
    // The media server keeps the hook secret it was configured with from the file.
    const publish = await nginxHook(
      app.http,
      nginxBody('publish', stream.id, `key=${stream.key}`),
      secrets.HOOK_SECRET,
    );
    expect(publish.status).toBe(200);
    const check = await hlsCheck(
      app.http,
      `/hls/${stream.id}.m3u8?${session.query}`,
      secrets.HOOK_SECRET,
    );
    expect(check.status).toBe(204);
    await app.stop();
    app = undefined;
  });

  it('refuses to start in production without the secrets, naming the variable', async () => {
    await expect(
      spawnApp({ DATA_DIR: dataDir, NODE_ENV: 'production', LOG_LEVEL: 'info' }),
    ).rejects.toThrow(/JWT_SECRET must be set when NODE_ENV=production/);
  });
});
