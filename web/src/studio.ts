import {
  api,
  session,
  type Room,
  type Stream,
  type StreamAccess,
  type StreamWithKey,
  type User,
} from './api';
import { authForm } from './auth';
import { chatPanel, type ChatPanel } from './chat';
import { errorText, field, h, mount, notice, pageHeader, statusBadge, watching } from './ui';

const NEW_ROOM = '__new';

async function copy(input: HTMLInputElement, say: (t: string, e?: boolean) => void, what: string) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // Clipboard API refused (no secure context): select it so the user can copy by hand.
    input.select();
    say(`Press Ctrl+C to copy the ${what}.`);
    return;
  }
  say(`${what[0].toUpperCase()}${what.slice(1)} copied.`);
}

/** The secret panel: the key exists in this page's memory only, so a reload never shows it again. */
function keyPanel(s: StreamWithKey, onClose: () => void): HTMLElement {
  const status = notice();
  const url = h('input', { readonly: true, value: s.ingest.rtmpUrl, class: 'mono' });
  const key = h('input', { readonly: true, value: s.ingest.streamName, class: 'mono' });
  return h(
    'section',
    { class: 'card secret', 'aria-labelledby': 'secret-h' },
    h('h2', { id: 'secret-h' }, `Ingest for “${s.title}”`),
    h(
      'p',
      { class: 'warn' },
      'Shown once: copy the key now. Anyone with it can broadcast as you; rotate it if it leaks.',
    ),
    h(
      'div',
      { class: 'copy-row' },
      field('Server URL', url),
      h('button', { type: 'button', onclick: () => void copy(url, status.say, 'URL') }, 'Copy URL'),
    ),
    h(
      'div',
      { class: 'copy-row' },
      field('Stream key', key),
      h('button', { type: 'button', onclick: () => void copy(key, status.say, 'key') }, 'Copy key'),
    ),
    h(
      'p',
      { class: 'hint' },
      'OBS: Settings → Stream → Custom. ffmpeg: publish to ',
      h('code', {}, s.ingest.url),
    ),
    status.el,
    h('button', { type: 'button', onclick: onClose }, 'Done'),
  );
}

async function signedIn(user: User) {
  const status = notice();
  const secretSlot = h('div', { class: 'slot' });
  const streamList = h('ul', { class: 'my-streams', 'aria-label': 'My streams' });
  const modSlot = h('div', { class: 'slot' });
  let rooms: Room[] = [];
  let moderation: ChatPanel | undefined;

  const title = h('input', { name: 'title', required: true, maxlength: '120' });
  const room = h('select', { name: 'room' });
  const access = h(
    'select',
    { name: 'access' },
    h('option', { value: 'public' }, 'Public: anyone can watch'),
    h('option', { value: 'members' }, 'Members: signed-in viewers only'),
  );
  const modRoom = h('select', { name: 'chat-room' });

  const showSecret = (s: StreamWithKey) => {
    secretSlot.replaceChildren(keyPanel(s, () => secretSlot.replaceChildren()));
    secretSlot.querySelector('h2')?.setAttribute('tabindex', '-1');
    (secretSlot.querySelector('h2') as HTMLElement | null)?.focus();
  };

  const loadRooms = async () => {
    const page = await api.rooms(100);
    rooms = page.items.filter((r) => r.hostId === user.id);
    room.replaceChildren(
      h('option', { value: NEW_ROOM }, 'New chat room named after the stream'),
      h('option', { value: '' }, 'No chat room'),
      ...rooms.map((r) => h('option', { value: r.id }, r.name)),
    );
    const current = modRoom.value;
    modRoom.replaceChildren(
      h('option', { value: '' }, rooms.length ? 'Choose a room' : 'You have no rooms yet'),
      ...rooms.map((r) => h('option', { value: r.id }, r.name)),
    );
    if (rooms.some((r) => r.id === current)) modRoom.value = current;
  };

  const streamItem = (s: Stream) => {
    const actions = h('div', { class: 'actions' });
    const normalActions = () =>
      actions.replaceChildren(
        h('a', { class: 'button small', href: `/watch/${encodeURIComponent(s.id)}` }, 'Watch'),
        h(
          'button',
          {
            type: 'button',
            class: 'small',
            onclick: async () => {
              try {
                showSecret(await api.rotateKey(s.id));
                status.say(`New key for “${s.title}”: the old one no longer works.`);
              } catch (err) {
                status.say(errorText(err), true);
              }
            },
          },
          'Rotate key',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'small danger',
            onclick: () => {
              const yes = h(
                'button',
                {
                  type: 'button',
                  class: 'small danger',
                  onclick: async () => {
                    try {
                      await api.deleteStream(s.id);
                      status.say(`Deleted “${s.title}”.`);
                      await loadStreams();
                    } catch (err) {
                      status.say(errorText(err), true);
                    }
                  },
                },
                'Yes, delete',
              );
              actions.replaceChildren(
                h(
                  'span',
                  {},
                  s.status === 'live' ? 'It is live: end it and delete?' : 'Delete it?',
                ),
                yes,
                h('button', { type: 'button', class: 'small', onclick: normalActions }, 'Cancel'),
              );
              yes.focus();
            },
          },
          'Delete',
        ),
      );
    normalActions();
    const roomName = rooms.find((r) => r.id === s.roomId)?.name;
    return h(
      'li',
      { class: 'card stream-row', 'data-id': s.id },
      h(
        'div',
        { class: 'stream-main' },
        h('h3', {}, s.title),
        h(
          'p',
          { class: 'meta' },
          statusBadge(s.status),
          h('span', { class: 'viewers' }, watching(s.viewers)),
          h('span', {}, s.access === 'members' ? 'Members only' : 'Public'),
          roomName ? h('span', {}, `Room: ${roomName}`) : null,
        ),
      ),
      actions,
    );
  };

  const loadStreams = async () => {
    const page = await api.streams({ ownerId: user.id, limit: 100 });
    const mine = page.items.filter((s) => s.status !== 'ended');
    // Re-render only rows whose state changed, so a half-confirmed delete survives the poll.
    const rows = new Map(
      [...streamList.querySelectorAll<HTMLLIElement>('li[data-id]')].map((li) => [
        li.dataset.id,
        li,
      ]),
    );
    const next = mine.map((s) => {
      const old = rows.get(s.id);
      const key = `${s.status}|${s.viewers}|${s.title}|${s.roomId}|${s.access}`;
      if (old && old.dataset.state === key) return old;
      const li = streamItem(s);
      li.dataset.state = key;
      return li;
    });
    streamList.replaceChildren(
      ...(next.length ? next : [h('li', { class: 'empty' }, 'No streams yet: create one above.')]),
    );
  };

  const createForm = h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'create-h',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const name = title.value.trim();
        if (!name) return;
        status.say('Creating…');
        try {
          let roomId: string | undefined = room.value || undefined;
          if (roomId === NEW_ROOM) roomId = (await api.createRoom(name.slice(0, 80))).id;
          const created = await api.createStream({
            title: name,
            roomId,
            access: access.value as StreamAccess,
          });
          title.value = '';
          status.say(`Created “${created.title}”.`);
          showSecret(created);
          await loadRooms();
          await loadStreams();
        } catch (err) {
          status.say(errorText(err), true);
        }
      },
    },
    h('h2', { id: 'create-h' }, 'New stream'),
    h(
      'div',
      { class: 'grid' },
      field('Title', title),
      field('Room', room, 'Viewers chat in this room next to the player.'),
      field('Access', access),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Create stream'),
  );

  modRoom.addEventListener('change', () => {
    moderation?.close();
    moderation = undefined;
    modSlot.replaceChildren();
    if (!modRoom.value) return;
    moderation = chatPanel(modRoom.value, { canSend: true, moderate: true, heading: 'Room chat' });
    modSlot.append(moderation.el);
  });

  mount(
    pageHeader('studio'),
    h(
      'main',
      { class: 'studio' },
      h(
        'div',
        { class: 'studio-head' },
        h('h1', {}, 'Studio'),
        h(
          'p',
          {},
          `Signed in as ${user.displayName} `,
          h(
            'button',
            {
              type: 'button',
              class: 'small',
              onclick: () => {
                session.clear();
                location.reload();
              },
            },
            'Sign out',
          ),
        ),
        status.el,
      ),
      createForm,
      secretSlot,
      h(
        'section',
        { 'aria-labelledby': 'mine-h' },
        h('h2', { id: 'mine-h' }, 'My streams'),
        streamList,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'mod-h' },
        h('h2', { id: 'mod-h' }, 'Chat moderation'),
        field('Chat room', modRoom),
        modSlot,
      ),
    ),
  );
  try {
    await loadRooms();
    await loadStreams();
  } catch (err) {
    status.say(errorText(err), true);
  }
  window.setInterval(() => void loadStreams().catch(() => undefined), 5000);
}

function signedOut() {
  mount(
    pageHeader('studio'),
    h(
      'main',
      { class: 'narrow' },
      h('h1', {}, 'Studio'),
      h('p', {}, 'Sign in to create streams, get their ingest keys and moderate your rooms.'),
      authForm((user) => void signedIn(user)),
    ),
  );
}

async function main() {
  if (!session.token()) return signedOut();
  try {
    await signedIn(await api.me());
  } catch {
    session.clear();
    signedOut();
  }
}

void main();
