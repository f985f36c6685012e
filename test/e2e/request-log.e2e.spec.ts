import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import { startApp, TestApp } from '../helpers/app';
import { TEST_SECRETS } from '../helpers/modes';

/**
 * The contract: every response carries X-Request-Id and the same id appears in the log lines of
 * that request — including lines a service writes deep inside it — without entering the log
 * context per request from a hook (AsyncLocalStorage.enterWith).
 */
describe('request id on log lines', () => {
  let t: TestApp;
  const enterWith = jest.spyOn(AsyncLocalStorage.prototype, 'enterWith');

  beforeAll(async () => {
    t = await startApp('embedded', { LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    enterWith.mockRestore();
    await t.close();
  });

  const lines = () => t.logs().map((l) => JSON.parse(l) as Record<string, unknown>);

  it("puts each concurrent request's own id on the lines a service logs inside it, and never calls enterWith", async () => {
    enterWith.mockClear();
    const hook = `/api/v1/hooks/srs?secret=${TEST_SECRETS.HOOK_SECRET}`;
    const calls = Array.from({ length: 8 }, (_, i) => ({
      requestId: `ctx-check-${i}`,
      streamId: randomUUID(),
    }));
    const answers = await Promise.all(
      calls.map((c) =>
        t.http.request('POST', hook, {
          body: {
            action: 'on_publish',
            client_id: 'c1',
            ip: '127.0.0.1',
            app: 'live',
            stream: c.streamId,
            param: '?key=not-the-key',
          },
          headers: { 'x-request-id': c.requestId },
        }),
      ),
    );
    expect(answers.map((a) => a.headers.get('x-request-id'))).toEqual(
      calls.map((c) => c.requestId),
    );
    for (const c of calls) {
      // The refusal is logged by PublishingService, several awaits away from the HTTP layer.
      const refused = lines().filter(
        (l) => l.msg === 'Publish refused' && l.streamId === c.streamId,
      );
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ requestId: c.requestId });
      const access = lines().filter(
        (l) => l.msg === 'request completed' && l.requestId === c.requestId,
      );
      expect(access).toHaveLength(1);
    }
    expect(enterWith).not.toHaveBeenCalled();
  });
});
