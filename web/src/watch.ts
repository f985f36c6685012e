import Hls from 'hls.js';
import { api, ApiError, type Stream } from './api';
import { chatPanel } from './chat';
import { errorText, h, mount, pageHeader, statusBadge, watching } from './ui';

const streamId = decodeURIComponent(location.pathname.split('/')[2] ?? '');

const video = h('video', {
  muted: true,
  autoplay: true,
  playsinline: true,
  controls: true,
  'aria-label': 'Live video',
});
video.muted = true;
const overlay = h('p', { class: 'overlay', role: 'status' }, 'Loading…');
const title = h('h1', {}, 'Stream');
const badge = h('span', {});
const viewers = h('span', { class: 'viewers' }, '');
const meta = h('div', { class: 'meta' }, badge, viewers);

let hls: Hls | undefined;
let live = false;
let retry: number | undefined;
let stream: Stream | undefined;

function showState(status: Stream['status'], message?: string) {
  live = status === 'live';
  const shown = statusBadge(status);
  badge.className = shown.className;
  badge.textContent = shown.textContent;
  const isLive = live;
  overlay.textContent = message ?? (isLive ? '' : 'This stream is offline.');
  overlay.hidden = !overlay.textContent;
}

function stopPlayer() {
  window.clearTimeout(retry);
  hls?.destroy();
  hls = undefined;
  video.removeAttribute('src');
  video.load();
}

/** Each player asks for its own playback session: it is what counts this viewer. */
async function startPlayer() {
  stopPlayer();
  if (!live) return;
  let url: string | null;
  try {
    url = (await api.playback(streamId)).hls;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      overlay.replaceChildren(
        'This stream is for members: ',
        stream?.roomId
          ? 'sign in next to the chat to watch.'
          : h('a', { href: '/studio' }, 'sign in to watch'),
      );
      overlay.hidden = false;
      return;
    }
    overlay.textContent = errorText(err);
    overlay.hidden = false;
    scheduleRetry();
    return;
  }
  if (!live) return;
  if (!url) {
    overlay.textContent = 'This server has no HLS playback configured.';
    overlay.hidden = false;
    return;
  }
  if (Hls.isSupported()) {
    // No worker: transmuxing stays on the page, so the CSP needs no blob: worker.
    const player = new Hls({ enableWorker: false, lowLatencyMode: true, liveSyncDurationCount: 2 });
    hls = player;
    player.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      // The playlist may not exist yet just after going live, or the session expired: start
      // over with a new session while the stream is live.
      stopPlayer();
      overlay.textContent = 'Connecting to the stream…';
      overlay.hidden = false;
      scheduleRetry();
    });
    player.once(Hls.Events.FRAG_BUFFERED, () => {
      overlay.hidden = true;
      // This player now counts: show the new count without waiting for the next poll.
      void refresh();
    });
    player.loadSource(url);
    player.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = url;
    overlay.hidden = true;
  } else {
    overlay.textContent = 'This browser cannot play HLS.';
    overlay.hidden = false;
  }
  video.play().catch(() => undefined);
}

function scheduleRetry() {
  window.clearTimeout(retry);
  retry = window.setTimeout(() => void startPlayer(), 2000);
}

async function refresh() {
  try {
    stream = await api.stream(streamId);
  } catch {
    return;
  }
  viewers.textContent = watching(stream.viewers);
  const nowLive = stream.status === 'live';
  // Without a room there is no socket event for this stream: the poll is the only signal.
  if (nowLive !== live) {
    showState(stream.status, stream.status === 'ended' ? 'This stream has ended.' : undefined);
    if (nowLive) void startPlayer();
    else stopPlayer();
  }
}

async function main() {
  mount(pageHeader('watch'), h('main', { class: 'watch' }, h('p', {}, 'Loading…')));
  try {
    stream = await api.stream(streamId);
  } catch (err) {
    mount(
      pageHeader('watch'),
      h(
        'main',
        { class: 'narrow' },
        h('h1', {}, 'Stream not found'),
        h('p', {}, errorText(err)),
        h('p', {}, h('a', { href: '/' }, 'See what is live now')),
      ),
    );
    return;
  }
  document.title = `${stream.title} · OnAir`;
  title.textContent = stream.title;
  viewers.textContent = watching(stream.viewers);

  const side = stream.roomId
    ? chatPanel(stream.roomId, {
        canSend: true,
        onStream: (state, id) => {
          if (id !== streamId) return;
          showState(state === 'live' ? 'live' : 'idle');
          if (state === 'live') void startPlayer();
          else stopPlayer();
        },
        onSignedIn: () => {
          // A members-only stream becomes playable once signed in.
          if (live && !hls) void startPlayer();
        },
      }).el
    : h('section', { class: 'chat chat-none' }, h('p', {}, 'This stream has no chat room.'));

  mount(
    pageHeader('watch'),
    h(
      'main',
      { class: 'watch' },
      h(
        'div',
        { class: 'stage' },
        h('div', { class: 'player' }, video, overlay),
        h('div', { class: 'stream-info' }, title, meta),
      ),
      side,
    ),
  );
  showState(stream.status, stream.status === 'ended' ? 'This stream has ended.' : undefined);
  if (live) void startPlayer();
  // Viewer counts come from the API; the poll also catches state changes missed while offline.
  window.setInterval(() => void refresh(), 5000);
}

void main();
