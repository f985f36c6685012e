import { Logger } from '@nestjs/common';
import { startRecordingServer, RecordingServer } from '../../test/helpers/recording-server';
import { fakeConfig, fakeMetrics } from '../../test/helpers/fakes';
import { CUT_TIMEOUT_MS, LivePublisher, PublisherCutter } from './publisher-cutter';

const STREAM = '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
const CONN = '9a3c1d2e-7b4f-4c5d-8e6f-1a2b3c4d5e6f';

describe('PublisherCutter (against stand-in SRS and MediaMTX APIs)', () => {
  let srs: RecordingServer;
  let mtx: RecordingServer;
  beforeAll(async () => {
    Logger.overrideLogger(false);
    [srs, mtx] = await Promise.all([startRecordingServer(), startRecordingServer()]);
  });
  afterAll(async () => Promise.all([srs.close(), mtx.close()]));
  beforeEach(() => {
    srs.calls.length = 0;
    mtx.calls.length = 0;
    srs.reply(() => ({ status: 200, body: '{"code":0}' }));
    mtx.reply(() => ({ status: 200 }));
  });

  const setup = (urls: { srs?: string; mtx?: string } = { srs: srs.url, mtx: mtx.url }) => {
    const metrics = fakeMetrics();
    const config = fakeConfig({
      liveState: { streamStaleSec: 60, srsApiUrl: urls.srs, mediamtxApiUrl: urls.mtx },
    });
    return { cutter: new PublisherCutter(config, metrics), metrics };
  };
  const pub = (p: Partial<LivePublisher>): LivePublisher => ({
    id: STREAM,
    publisherServer: null,
    publisherClientId: null,
    publisherProtocol: null,
    ...p,
  });

  it('counts an nginx-rtmp cut at once without calling anything (the next update refuses it)', async () => {
    const { cutter, metrics } = setup();
    await cutter.cut(pub({ publisherServer: 'nginx-rtmp', publisherClientId: '3' }), 'deleted');
    expect(metrics.publisherCut).toHaveBeenCalledWith('deleted');
    expect([...srs.calls, ...mtx.calls]).toEqual([]);
  });

  it('kicks an SRS client with DELETE /api/v1/clients/<client_id>', async () => {
    const { cutter, metrics } = setup();
    await cutter.cut(pub({ publisherServer: 'srs', publisherClientId: '341w361a' }), 'key_rotated');
    expect(srs.calls).toEqual([{ method: 'DELETE', path: '/api/v1/clients/341w361a' }]);
    expect(metrics.publisherCut).toHaveBeenCalledWith('key_rotated');
    expect(metrics.publisherCutFailed).not.toHaveBeenCalled();
  });

  it('kicks a MediaMTX publisher on the route of its transport', async () => {
    const { cutter, metrics } = setup();
    const routes: Record<string, string> = {
      rtmp: '/v3/rtmpconns/kick/',
      rtsp: '/v3/rtspsessions/kick/',
      srt: '/v3/srtconns/kick/',
      webrtc: '/v3/webrtcsessions/kick/',
    };
    for (const protocol of Object.keys(routes))
      await cutter.cut(
        pub({ publisherServer: 'mediamtx', publisherClientId: CONN, publisherProtocol: protocol }),
        'user_disabled',
      );
    expect(mtx.calls).toEqual(
      Object.values(routes).map((r) => ({ method: 'POST', path: `${r}${CONN}` })),
    );
    expect(metrics.publisherCut).toHaveBeenCalledTimes(4);
  });

  it('tries the RTMPS route when the RTMP one does not know the connection', async () => {
    mtx.reply((c) => (c.path.startsWith('/v3/rtmpconns/') ? { status: 404 } : { status: 200 }));
    const { cutter, metrics } = setup();
    await cutter.cut(
      pub({ publisherServer: 'mediamtx', publisherClientId: CONN, publisherProtocol: 'rtmp' }),
      'deleted',
    );
    expect(mtx.calls.map((c) => c.path)).toEqual([
      `/v3/rtmpconns/kick/${CONN}`,
      `/v3/rtmpsconns/kick/${CONN}`,
    ]);
    expect(metrics.publisherCut).toHaveBeenCalledWith('deleted');
  });

  it('neither counts nor fails a publisher the server no longer has', async () => {
    srs.reply(() => ({ status: 200, body: '{"code":2049}' }));
    const { cutter, metrics } = setup();
    await cutter.cut(pub({ publisherServer: 'srs', publisherClientId: 'gone1' }), 'deleted');
    expect(srs.calls).toHaveLength(1);
    expect(metrics.publisherCut).not.toHaveBeenCalled();
    expect(metrics.publisherCutFailed).not.toHaveBeenCalled();
  });

  it('counts a failure when the API errs, is not configured or has no client id to kick', async () => {
    srs.reply(() => ({ status: 500, body: 'oops' }));
    const { cutter, metrics } = setup();
    await cutter.cut(pub({ publisherServer: 'srs', publisherClientId: 'c1' }), 'deleted');
    await cutter.cut(pub({ publisherServer: 'srs', publisherClientId: null }), 'deleted');
    const unset = setup({});
    await unset.cutter.cut(
      pub({ publisherServer: 'mediamtx', publisherClientId: CONN, publisherProtocol: 'rtmp' }),
      'deleted',
    );
    expect(metrics.publisherCutFailed.mock.calls).toEqual([['srs'], ['srs']]);
    expect(unset.metrics.publisherCutFailed).toHaveBeenCalledWith('mediamtx');
    expect(metrics.publisherCut).not.toHaveBeenCalled();
    expect(srs.calls).toHaveLength(1);
  });

  it('gives up on an API that does not answer within its time-out, and never throws', async () => {
    mtx.reply(() => 'hang');
    const { cutter, metrics } = setup();
    const started = Date.now();
    await expect(
      cutter.cut(
        pub({ publisherServer: 'mediamtx', publisherClientId: CONN, publisherProtocol: 'srt' }),
        'key_rotated',
      ),
    ).resolves.toBeUndefined();
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(CUT_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(CUT_TIMEOUT_MS + 1500);
    expect(metrics.publisherCutFailed).toHaveBeenCalledWith('mediamtx');
  });
});
