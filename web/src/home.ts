import { api, type Room, type Stream } from './api';
import { errorText, h, mount, pageHeader, statusBadge, watching } from './ui';

const liveList = h('ul', { class: 'cards', 'aria-label': 'Live streams' });
const roomList = h('ul', { class: 'rooms', 'aria-label': 'Open rooms' });

const streamCard = (s: Stream) =>
  h(
    'li',
    { class: 'card stream-card' },
    h(
      'a',
      { href: `/watch/${encodeURIComponent(s.id)}`, class: 'stretched' },
      h('h3', {}, s.title),
    ),
    h(
      'p',
      { class: 'meta' },
      statusBadge(s.status),
      h('span', { class: 'viewers' }, watching(s.viewers)),
    ),
  );

const roomItem = (r: Room, live: Stream | undefined) =>
  h(
    'li',
    { class: 'room' },
    h(
      'div',
      {},
      h('h3', {}, r.name),
      r.description ? h('p', { class: 'hint' }, r.description) : null,
    ),
    h('span', { class: 'online' }, `${r.onlineCount} online`),
    live
      ? h('a', { href: `/watch/${encodeURIComponent(live.id)}`, class: 'button small' }, 'Watch')
      : h(
          'a',
          { href: `/embed/chat/${encodeURIComponent(r.id)}`, class: 'button small' },
          'Open chat',
        ),
  );

async function load() {
  try {
    const [live, rooms] = await Promise.all([
      api.streams({ status: 'live', limit: 50 }),
      api.rooms(50),
    ]);
    liveList.replaceChildren(
      ...(live.items.length
        ? live.items.map(streamCard)
        : [h('li', { class: 'empty' }, 'Nothing is live right now.')]),
    );
    roomList.replaceChildren(
      ...(rooms.items.length
        ? rooms.items.map((r) =>
            roomItem(
              r,
              live.items.find((st) => st.roomId === r.id),
            ),
          )
        : [h('li', { class: 'empty' }, 'No open rooms.')]),
    );
  } catch (err) {
    liveList.replaceChildren(h('li', { class: 'empty' }, errorText(err)));
  }
}

mount(
  pageHeader('home'),
  h(
    'main',
    { class: 'home' },
    h('section', { 'aria-labelledby': 'live-h' }, h('h1', { id: 'live-h' }, 'Live now'), liveList),
    h(
      'section',
      { 'aria-labelledby': 'rooms-h' },
      h('h2', { id: 'rooms-h' }, 'Open rooms'),
      roomList,
    ),
  ),
);
void load();
window.setInterval(() => void load(), 10_000);
