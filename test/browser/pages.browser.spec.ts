/**
 * The pages against the real pipeline: the built app as a process, nginx-rtmp calling its hooks
 * (HLS checked through auth_request), ffmpeg publishing, and Chromium playing with hls.js.
 * Everything is selected by accessible role and name, the way a user (or a screen reader) finds it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startFfmpegPublisher, waitFor, type FfmpegProcess } from '../helpers/media';
import {
  describeInBrowser,
  DOCS_DIR,
  launchChromium,
  newVisitor,
  SCREENSHOTS,
  startPipeline,
  type Pipeline,
} from './support';

jest.setTimeout(180_000);

describeInBrowser('pages in Chromium against nginx-rtmp, ffmpeg and the app', () => {
  let p: Pipeline;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Console errors and requested origins of every page of the current test. */
  let consoleErrors: string[] = [];
  let origins = new Set<string>();
  const publishers: FfmpegProcess[] = [];

  beforeAll(async () => {
    p = await startPipeline();
    browser = await launchChromium();
  }, 15 * 60_000);

  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((f) => f.stop()));
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    consoleErrors = [];
    origins = new Set();
  });

  afterAll(async () => {
    await browser?.close();
    await p?.close();
  });

  const visitor = async (viewport?: { width: number; height: number }) => {
    const c = await newVisitor(browser, viewport);
    contexts.push(c);
    const page = await c.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('request', (r) => {
      origins.add(new URL(r.url()).origin);
    });
    return page;
  };

  const publish = (streamName: string) => {
    const f = startFfmpegPublisher(`${p.media.rtmpBase}/${streamName}`);
    publishers.push(f);
    return f;
  };

  /** A host with a room and a stream in it, made through the API. */
  const hostStream = async (title: string) => {
    const host = await p.app.http.user('host');
    const room = await p.app.http.post('/api/v1/rooms', { name: `${title} room` }, host.token);
    expect(room.status).toBe(201);
    const s = await p.app.http.post('/api/v1/streams', { title, roomId: room.body.id }, host.token);
    expect(s.status).toBe(201);
    return { host, roomId: room.body.id as string, id: s.body.id as string, ingest: s.body.ingest };
  };

  const apiStream = async (id: string) => (await p.app.http.get(`/api/v1/streams/${id}`)).body;
  const roomOf = async (id: string) => (await apiStream(id)).roomId as string;

  const waitLive = (id: string, f: FfmpegProcess) =>
    waitFor(async () => (await apiStream(id)).status === 'live', {
      timeoutMs: 20_000,
      message: `stream never went live; ffmpeg: ${f.stderr()}\n${p.media.logs().slice(-2000)}`,
    });

  const currentTime = (page: Page) =>
    page.evaluate<number>("document.querySelector('video')?.currentTime ?? 0");

  const register = async (page: Page, form: Page | Locator = page) => {
    await form.getByLabel('Username').fill(`v${Math.random().toString(36).slice(2, 10)}`);
    await form.getByLabel('Password').fill('password-123456');
    await form.getByRole('button', { name: 'Register' }).click();
  };

  it('plays the live stream with hls.js, counts two pages as 2 viewers (pages, home, API), and says offline when the publisher stops', async () => {
    const s = await hostStream('Pipeline check');
    const pub = publish(s.ingest.streamName);
    await waitLive(s.id, pub);

    const a = await visitor();
    const b = await visitor();
    await Promise.all([a.goto(`${p.app.url}/watch/${s.id}`), b.goto(`${p.app.url}/watch/${s.id}`)]);
    await a.getByRole('heading', { name: 'Pipeline check' }).waitFor();
    await a.getByText('Live', { exact: true }).waitFor();

    for (const page of [a, b]) {
      const started = await waitFor(
        async () => {
          const t = await currentTime(page);
          return t > 0.5 ? t : 0;
        },
        { timeoutMs: 45_000, message: `video never started\n${p.media.logs().slice(-2000)}` },
      );
      await waitFor(async () => (await currentTime(page)) > started + 1, {
        timeoutMs: 20_000,
        message: 'video stopped advancing',
      });
    }

    // Each page holds its own playback session: two viewers, in the API and on both pages.
    await waitFor(async () => (await apiStream(s.id)).viewers === 2, {
      timeoutMs: 20_000,
      message: 'the API never counted 2 viewers',
    });
    await a.getByText('2 watching', { exact: true }).waitFor({ timeout: 20_000 });
    await b.getByText('2 watching', { exact: true }).waitFor({ timeout: 20_000 });

    // The home page lists it with its viewers, and its room links to the player.
    const home = await visitor();
    await home.goto(`${p.app.url}/`);
    const card = home
      .getByRole('list', { name: 'Live streams' })
      .getByRole('listitem')
      .filter({ hasText: 'Pipeline check' });
    await card.getByText('2 watching', { exact: true }).waitFor();
    expect(await card.getByRole('link', { name: 'Pipeline check' }).getAttribute('href')).toBe(
      `/watch/${s.id}`,
    );
    const room = home
      .getByRole('list', { name: 'Open rooms' })
      .getByRole('listitem')
      .filter({ hasText: 'Pipeline check room' });
    expect(await room.getByRole('link', { name: 'Watch' }).getAttribute('href')).toBe(
      `/watch/${s.id}`,
    );

    await pub.stop();
    for (const page of [a, b]) {
      await page.getByText('This stream is offline.').waitFor({ timeout: 20_000 });
      await page.getByText('Offline', { exact: true }).waitFor();
    }
    expect((await apiStream(s.id)).status).toBe('idle');

    // Nothing was blocked by the pages' CSP, and nothing came from anywhere but OnAir and the
    // media server (no CDN, no external fonts).
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    expect([...origins].sort()).toEqual([p.app.url, p.media.httpBase].sort());
  });

  it('asks an anonymous viewer of a members-only stream to sign in, then plays it', async () => {
    const host = await p.app.http.user('host');
    const room = await p.app.http.post('/api/v1/rooms', { name: 'Members room' }, host.token);
    const s = await p.app.http.post(
      '/api/v1/streams',
      { title: 'Members only', roomId: room.body.id, access: 'members' },
      host.token,
    );
    expect(s.body.access).toBe('members');
    const pub = publish(s.body.ingest.streamName);
    await waitLive(s.body.id, pub);

    const page = await visitor();
    await page.goto(`${p.app.url}/watch/${s.body.id}`);
    await page.getByText('This stream is for members').waitFor();
    expect(await currentTime(page)).toBe(0);
    await register(page, page.getByRole('form', { name: 'Sign in to chat' }));
    await waitFor(async () => (await currentTime(page)) > 0.5, {
      timeoutMs: 45_000,
      message: 'the members-only stream never played after signing in',
    });
  });

  it('carries a chat message from a signed-in page to an anonymous one in the stream room', async () => {
    const s = await hostStream('Chat check');
    const sender = await visitor();
    const reader = await visitor();
    await reader.goto(`${p.app.url}/watch/${s.id}`);
    await sender.goto(`${p.app.url}/watch/${s.id}`);

    // Anonymous readers see the chat but are asked to sign in before sending.
    await reader.getByText('Sign in to send messages.').waitFor();
    expect(await reader.getByRole('button', { name: 'Send' }).count()).toBe(0);

    await register(sender, sender.getByRole('form', { name: 'Sign in to chat' }));
    await sender.getByLabel('Message').fill('Hello from the browser test');
    await sender.getByRole('button', { name: 'Send' }).click();

    const log = reader.getByRole('log', { name: 'Chat history' });
    await log.getByText('Hello from the browser test').waitFor({ timeout: 15_000 });
    const history = await p.app.http.get(`/api/v1/rooms/${s.roomId}/messages`);
    expect(history.body.items.map((m: { text: string }) => m.text)).toContain(
      'Hello from the browser test',
    );
  });

  it('shows the room chat alone on a transparent page for OBS in the chat embed', async () => {
    const s = await hostStream('Overlay check');
    const overlay = await visitor({ width: 400, height: 600 });
    await overlay.goto(`${p.app.url}/embed/chat/${s.roomId}`);
    const sender = await visitor();
    await sender.goto(`${p.app.url}/watch/${s.id}`);
    await register(sender, sender.getByRole('form', { name: 'Sign in to chat' }));
    await sender.getByLabel('Message').fill('Hello overlay');
    await sender.getByRole('button', { name: 'Send' }).click();

    await overlay
      .getByRole('log', { name: 'Chat history' })
      .getByText('Hello overlay')
      .waitFor({ timeout: 15_000 });
    const backgrounds = await overlay.evaluate<string[]>(
      '[document.documentElement, document.body, document.querySelector(".chat")].map((e) => getComputedStyle(e).backgroundColor)',
    );
    expect(backgrounds).toEqual(['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)']);
    expect(await overlay.getByRole('textbox').count()).toBe(0);
    expect(await overlay.locator('video').count()).toBe(0);
  });

  it('fits the watch page in 375 px and sends a chat message by keyboard alone', async () => {
    const s = await hostStream('Phone check');
    const page = await visitor({ width: 375, height: 740 });
    await page.goto(`${p.app.url}/watch/${s.id}`);
    await register(page, page.getByRole('form', { name: 'Sign in to chat' }));
    await page.getByLabel('Message').waitFor();
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(375);

    await page.locator('body').focus();
    await waitFor(
      async () => {
        await page.keyboard.press('Tab');
        return page.evaluate<boolean>("document.activeElement?.getAttribute('name') === 'message'");
      },
      { timeoutMs: 15_000, intervalMs: 10, message: 'Tab never reached the Message field' },
    );
    await page.keyboard.type('Typed on a phone');
    await page.keyboard.press('Enter');
    await page
      .getByRole('log', { name: 'Chat history' })
      .getByText('Typed on a phone')
      .waitFor({ timeout: 15_000 });
  });

  it('creates a stream in the studio, shows its ingest key once, and the shown key publishes', async () => {
    const page = await visitor();
    await page.goto(`${p.app.url}/studio`);
    await register(page);
    await page.getByLabel('Title').fill('Studio check');
    await page.getByLabel('Access').selectOption('public');
    await page.getByRole('button', { name: 'Create stream' }).click();

    const keyField = page.getByLabel('Stream key');
    await keyField.waitFor();
    const streamName = await keyField.inputValue();
    expect(streamName).toMatch(/^[0-9a-f-]{36}\?key=[A-Za-z0-9_-]{43,}$/);
    expect(await page.getByLabel('Server URL').inputValue()).toBe(p.media.rtmpBase);
    await page.getByRole('button', { name: 'Copy key' }).waitFor();
    await page.getByRole('button', { name: 'Copy URL' }).waitFor();

    const id = streamName.slice(0, 36);
    const pub = publish(streamName);
    await waitLive(id, pub);
    const row = page.getByRole('listitem').filter({ hasText: 'Studio check' });
    await row.getByText('Live', { exact: true }).waitFor({ timeout: 20_000 });

    if (SCREENSHOTS)
      await page.screenshot({ path: path.join(DOCS_DIR, 'studio.png'), fullPage: true });

    await page.reload();
    await page.getByRole('heading', { name: 'My streams' }).waitFor();
    await row.waitFor();
    expect(await page.getByLabel('Stream key').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Copy key' }).count()).toBe(0);
    expect(await page.content()).not.toContain(streamName.split('key=')[1]);
  });

  it('rotates a stream key (the new key is shown once) and deletes the stream from the studio', async () => {
    const page = await visitor();
    await page.goto(`${p.app.url}/studio`);
    await register(page);
    await page.getByLabel('Title').fill('Rotate me');
    await page.getByLabel('Room', { exact: true }).selectOption({ label: 'No chat room' });
    await page.getByRole('button', { name: 'Create stream' }).click();
    const first = await page.getByLabel('Stream key').inputValue();
    const id = first.slice(0, 36);
    expect((await apiStream(id)).roomId).toBeNull();

    const row = page.getByRole('listitem').filter({ hasText: 'Rotate me' });
    await row.getByRole('button', { name: 'Rotate key' }).click();
    await waitFor(
      async () => {
        const v = await page.getByLabel('Stream key').inputValue();
        return v !== first && v.startsWith(`${id}?key=`);
      },
      { message: 'the rotated key was never shown' },
    );
    // The old key no longer publishes.
    const old = publish(first);
    expect(await old.exited).toBe(1);

    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await apiStream(id)).status).toBe('ended');
  });

  it('lets the host delete a message and ban its author from the studio, live on the viewer page', async () => {
    const host = await visitor();
    await host.goto(`${p.app.url}/studio`);
    await register(host);
    await host.getByLabel('Title').fill('Moderated talk');
    await host.getByRole('button', { name: 'Create stream' }).click();
    const id = (await host.getByLabel('Stream key').inputValue()).slice(0, 36);

    const viewer = await visitor();
    await viewer.goto(`${p.app.url}/watch/${id}`);
    const viewerName = `v${Math.random().toString(36).slice(2, 10)}`;
    const chatForm = viewer.getByRole('form', { name: 'Sign in to chat' });
    await chatForm.getByLabel('Username').fill(viewerName);
    await chatForm.getByLabel('Password').fill('password-123456');
    await chatForm.getByRole('button', { name: 'Register' }).click();
    await viewer.getByLabel('Message').fill('Buy cheap followers');
    await viewer.getByRole('button', { name: 'Send' }).click();
    const viewerLog = viewer.getByRole('log', { name: 'Chat history' });
    await viewerLog.getByText('Buy cheap followers').waitFor();

    await host.getByLabel('Chat room', { exact: true }).selectOption({ label: 'Moderated talk' });
    const hostLog = host.getByRole('log', { name: 'Chat history' });
    await hostLog.getByText('Buy cheap followers').waitFor();
    await host.getByRole('button', { name: `Delete message from ${viewerName}` }).click();
    await viewerLog.getByText('Buy cheap followers').waitFor({ state: 'detached' });
    await hostLog.getByText('Buy cheap followers').waitFor({ state: 'detached' });

    await viewer.getByLabel('Message').fill('Still here');
    await viewer.getByRole('button', { name: 'Send' }).click();
    await hostLog.getByText('Still here').waitFor();
    await host.getByRole('button', { name: `Ban ${viewerName}` }).click();
    await host.getByText(`${viewerName} is banned from this chat.`).waitFor();
    await viewer.getByText('You are banned from this chat.').waitFor();
    await viewer.getByLabel('Message').fill('Let me back in');
    await viewer.getByRole('button', { name: 'Send' }).click();
    await viewer
      .getByRole('status')
      .filter({ hasText: /banned/i })
      .first()
      .waitFor();
    const history = await p.app.http.get(`/api/v1/rooms/${await roomOf(id)}/messages`);
    const texts = history.body.items.map((m: { text: string }) => m.text);
    expect(texts).toEqual(['Still here']);
  });

  (SCREENSHOTS ? it : it.skip)('takes the README screenshot of the watch page', async () => {
    const s = await hostStream('Friday tech talk');
    const pub = publish(s.ingest.streamName);
    await waitLive(s.id, pub);
    const page = await visitor({ width: 1280, height: 720 });
    await page.goto(`${p.app.url}/watch/${s.id}`);
    await register(page, page.getByRole('form', { name: 'Sign in to chat' }));
    for (const text of ['Hi all, the demo starts in a minute', 'Sound and picture are fine here']) {
      await page.getByLabel('Message').fill(text);
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByRole('log').getByText(text).waitFor();
    }
    await waitFor(async () => (await currentTime(page)) > 2, { timeoutMs: 45_000 });
    await page.getByText('1 watching', { exact: true }).waitFor({ timeout: 20_000 });
    const file = path.join(DOCS_DIR, 'watch.png');
    await page.screenshot({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });
});
