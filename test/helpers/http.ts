export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A tiny JSON client over fetch, the way a web client talks to OnAir. */
export class Http {
  constructor(readonly base: string) {}

  async request<T = any>(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      token?: string;
      headers?: Record<string, string>;
      raw?: string | Buffer;
    } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | Buffer | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(this.base + path, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, token?: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { token, headers });
  }
  post<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('POST', path, { body, token });
  }
  patch<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('PATCH', path, { body, token });
  }
  put<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('PUT', path, { body, token });
  }
  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', path, { token });
  }

  /** Registers a fresh user and returns its token and id. */
  async user(
    prefix = 'u',
    extra: Record<string, string> = {},
  ): Promise<{ token: string; id: string; username: string; password: string }> {
    const username = `${prefix}${Math.random().toString(36).slice(2, 10)}`;
    const password = 'password-' + Math.random().toString(36).slice(2);
    const r = await this.post('/api/v1/auth/register', { username, password, ...extra });
    if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
    return { token: r.body.accessToken, id: r.body.user.id, username, password };
  }
}

/** websocket_disconnects_total over all labels: how many disconnects the server has processed. */
export async function disconnectsProcessed(http: Http): Promise<number> {
  const text = (await http.get('/metrics')).text;
  return [...text.matchAll(/^websocket_disconnects_total\{[^}]*\} (\S+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}
