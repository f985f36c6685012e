import { io, type Socket } from 'socket.io-client';
import { api, session, type ChatMessage, type User } from './api';
import { authForm } from './auth';
import { errorText, field, h, notice, time } from './ui';

type Ack<T = object> = ({ ok: true } & T) | { ok: false; error: { code: string; message: string } };

export interface ChatOptions {
  /** Show the send form (or the sign-in form for anonymous viewers). */
  canSend: boolean;
  /** Room owner's view: Delete and Ban on every message. */
  moderate?: boolean;
  /** Called with stream:live / stream:offline of this room. */
  onStream?: (state: 'live' | 'offline', streamId: string) => void;
  /** Called once the viewer signed in from the chat's own form. */
  onSignedIn?: (user: User) => void;
  heading?: string;
}

export interface ChatPanel {
  el: HTMLElement;
  close(): void;
}

const clientId = () =>
  typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/**
 * One room's chat over the public /chat namespace: history from REST, live messages, deletes
 * and presence from the socket. Anonymous sockets read; signed-in ones may send.
 */
export function chatPanel(roomId: string, opts: ChatOptions): ChatPanel {
  const list = h('ol', { class: 'messages', role: 'log', 'aria-label': 'Chat history' });
  const online = h('span', { class: 'online' }, '');
  const status = notice();
  const footer = h('div', { class: 'chat-footer' });
  const el = h(
    'section',
    { class: 'chat', 'aria-label': opts.heading ?? 'Chat' },
    h('div', { class: 'chat-head' }, h('h2', {}, opts.heading ?? 'Chat'), online),
    list,
    status.el,
    footer,
  );

  let socket: Socket | undefined;
  let heartbeat: number | undefined;
  /**
   * Whether the current socket has joined the room. socket.io-client sends what was emitted
   * before it connected ahead of the `connect` listeners, so a message typed right after signing
   * in would reach the server before room:join and be refused: sends wait for the join.
   */
  let joined = false;
  const waitingForJoin: (() => void)[] = [];
  const whenJoined = () =>
    joined ? Promise.resolve() : new Promise<void>((resolve) => waitingForJoin.push(resolve));
  let closed = false;

  const scrollToEnd = () => {
    list.scrollTop = list.scrollHeight;
  };

  const render = (m: ChatMessage): HTMLLIElement => {
    const li = h(
      'li',
      { class: 'message', 'data-id': m.id },
      h('span', { class: 'who' }, m.user.displayName),
      h('span', { class: 'text' }, m.text),
      h('time', { datetime: m.createdAt }, time(m.createdAt)),
    );
    if (opts.moderate) {
      li.append(
        h(
          'span',
          { class: 'mod' },
          h(
            'button',
            {
              type: 'button',
              class: 'small',
              'aria-label': `Delete message from ${m.user.displayName}`,
              onclick: () => deleteMessage(m.id),
            },
            'Delete',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'small danger',
              'aria-label': `Ban ${m.user.displayName}`,
              onclick: () => void ban(m.user),
            },
            'Ban',
          ),
        ),
      );
    }
    return li;
  };

  const add = (m: ChatMessage) => {
    if (list.querySelector(`[data-id="${CSS.escape(m.id)}"]`)) return;
    const nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.append(render(m));
    // Keep the list bounded on long streams.
    while (list.children.length > 300) list.firstElementChild?.remove();
    if (nearEnd) scrollToEnd();
  };

  const deleteMessage = (id: string) => {
    socket?.emit('chat:delete', { messageId: id }, (ack: Ack) => {
      if (!ack.ok) status.say(ack.error.message, true);
    });
  };

  const ban = async (user: { id: string; displayName: string }) => {
    try {
      await api.ban(roomId, user.id);
      status.say(`${user.displayName} is banned from this chat.`);
    } catch (err) {
      status.say(errorText(err), true);
    }
  };

  const setOnline = (n: number) => {
    online.textContent = `${n} online`;
  };

  const sendForm = () => {
    const input = h('input', {
      name: 'message',
      autocomplete: 'off',
      maxlength: '500',
      required: true,
    });
    const form = h(
      'form',
      {
        class: 'send',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const text = input.value.trim();
          if (!text || !socket) return;
          input.disabled = true;
          await whenJoined();
          socket.emit(
            'chat:send',
            { roomId, text, clientMsgId: clientId() },
            (ack: Ack<{ message: ChatMessage }>) => {
              input.disabled = false;
              input.focus();
              if (ack.ok) {
                input.value = '';
                status.say('');
                add(ack.message);
              } else status.say(ack.error.message, true);
            },
          );
        },
      },
      field('Message', input),
      h('button', { type: 'submit', class: 'primary' }, 'Send'),
    );
    return form;
  };

  const renderFooter = () => {
    footer.replaceChildren();
    if (!opts.canSend) return;
    if (session.token()) footer.append(sendForm());
    else {
      footer.append(
        h('p', { class: 'hint' }, 'Sign in to send messages.'),
        authForm((user) => {
          opts.onSignedIn?.(user);
          connect();
        }, 'Sign in to chat'),
      );
    }
  };

  const join = () => {
    socket?.emit('room:join', { roomId }, (ack: Ack<{ onlineCount: number }>) => {
      // A refused join (banned, closed) releases waiting sends too: the server's answer to the
      // send says why.
      if (ack.ok) {
        setOnline(ack.onlineCount);
        joined = true;
      } else status.say(ack.error.message, true);
      for (const resolve of waitingForJoin.splice(0)) resolve();
    });
  };

  function connect() {
    socket?.close();
    window.clearInterval(heartbeat);
    const token = session.token();
    const s = io('/chat', { auth: token ? { token } : {}, transports: ['websocket'] });
    socket = s;
    joined = false;
    s.on('connect', join);
    s.on('disconnect', () => {
      joined = false;
    });
    s.on('connect_error', (err: Error) => {
      if (err.message === 'unauthorized' && token) {
        // The stored token expired: continue as an anonymous reader.
        session.clear();
        connect();
        return;
      }
      status.say('Chat is reconnecting…');
    });
    s.on('chat:message', (m: ChatMessage) => {
      if (m.roomId === roomId) add(m);
    });
    s.on('chat:deleted', (p: { id: string; roomId: string }) => {
      list.querySelector(`[data-id="${CSS.escape(p.id)}"]`)?.remove();
    });
    s.on('presence:update', (p: { roomId: string; onlineCount: number }) => {
      if (p.roomId === roomId) setOnline(p.onlineCount);
    });
    s.on('stream:live', (p: { streamId: string; roomId: string }) => {
      if (p.roomId === roomId) opts.onStream?.('live', p.streamId);
    });
    s.on('stream:offline', (p: { streamId: string; roomId: string }) => {
      if (p.roomId === roomId) opts.onStream?.('offline', p.streamId);
    });
    s.on('chat:banned', () => status.say('You are banned from this chat.', true));
    s.on('room:closed', () => {
      status.say('This room is closed.');
      footer.replaceChildren();
    });
    heartbeat = window.setInterval(() => {
      if (s.connected) s.emit('presence:heartbeat', { roomId }, () => undefined);
    }, 15_000);
    renderFooter();
  }

  void (async () => {
    try {
      const history = await api.messages(roomId);
      if (closed) return;
      for (const m of history.items.reverse()) add(m);
      scrollToEnd();
    } catch (err) {
      status.say(errorText(err), true);
    }
  })();
  connect();

  return {
    el,
    close() {
      closed = true;
      window.clearInterval(heartbeat);
      socket?.close();
    },
  };
}
