/** The public REST API, as any client sees it (same origin). */

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: 'admin' | 'user';
}

export type StreamStatus = 'idle' | 'live' | 'ended';
export type StreamAccess = 'public' | 'members';

export interface Stream {
  id: string;
  title: string;
  status: StreamStatus;
  access?: StreamAccess;
  ownerId: string;
  roomId: string | null;
  viewers: number;
  startedAt: string | null;
  endedAt: string | null;
  createdAt: string;
}

export interface Ingest {
  rtmpUrl: string;
  streamName: string;
  url: string;
}

export interface StreamWithKey extends Stream {
  streamKey: string;
  ingest: Ingest;
}

export interface Playback {
  sessionId: string;
  expiresAt: string;
  hls: string | null;
  flv: string | null;
  rtmp: string | null;
}

export interface Room {
  id: string;
  name: string;
  description: string;
  hostId: string;
  status: 'open' | 'closed';
  onlineCount: number;
  createdAt: string;
}

export interface ChatMessage {
  id: string;
  roomId: string;
  user: { id: string; displayName: string };
  text: string;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface AuthResult {
  user: User;
  accessToken: string;
  expiresIn: number;
}

/** An error answer of the API, carrying its contract shape. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'onair.token';

/** The token lives in localStorage so the studio and the watch page share one sign-in. */
export const session = {
  token(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  save(token: string): void {
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    localStorage.removeItem(TOKEN_KEY);
  },
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('The server cannot be reached. Check your connection.', 0, 'NETWORK');
  }
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (data ?? {}) as { message?: string | string[]; code?: string };
    const message = Array.isArray(e.message) ? e.message.join('; ') : e.message;
    // An expired or revoked token: forget it so the page falls back to signed-out.
    if (res.status === 401 && token) session.clear();
    throw new ApiError(message ?? `Request failed (${res.status})`, res.status, e.code ?? 'ERROR');
  }
  return data as T;
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

export const api = {
  async login(username: string, password: string): Promise<User> {
    const r = await call<AuthResult>('POST', '/auth/login', { username, password });
    session.save(r.accessToken);
    return r.user;
  },
  async register(username: string, password: string): Promise<User> {
    const r = await call<AuthResult>('POST', '/auth/register', { username, password });
    session.save(r.accessToken);
    return r.user;
  },
  me: () => call<User>('GET', '/auth/me'),

  streams: (filter: { status?: StreamStatus; ownerId?: string; limit?: number }) =>
    call<Page<Stream>>('GET', `/streams${q(filter)}`),
  stream: (id: string) => call<Stream>('GET', `/streams/${encodeURIComponent(id)}`),
  createStream: (body: { title: string; roomId?: string; access?: StreamAccess }) =>
    call<StreamWithKey>('POST', '/streams', body),
  rotateKey: (id: string) => call<StreamWithKey>('POST', `/streams/${encodeURIComponent(id)}/key`),
  deleteStream: (id: string) => call<void>('DELETE', `/streams/${encodeURIComponent(id)}`),
  playback: (id: string) => call<Playback>('POST', `/streams/${encodeURIComponent(id)}/playback`),

  rooms: (limit = 100) => call<Page<Room>>('GET', `/rooms${q({ limit })}`),
  room: (id: string) => call<Room>('GET', `/rooms/${encodeURIComponent(id)}`),
  createRoom: (name: string) => call<Room>('POST', '/rooms', { name }),
  messages: (roomId: string, limit = 50) =>
    call<Page<ChatMessage>>('GET', `/rooms/${encodeURIComponent(roomId)}/messages${q({ limit })}`),
  ban: (roomId: string, userId: string) =>
    call<unknown>('POST', `/rooms/${encodeURIComponent(roomId)}/bans`, { userId }),
};
