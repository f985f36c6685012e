import { Injectable } from '@nestjs/common';
import * as jwt from 'jsonwebtoken';
import type { ExtendedError } from 'socket.io';
import { TokenService } from '../auth/token.service';
import { isUnavailableError } from '../common/errors';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import type { ChatSocket } from './chat.broadcaster';
import type { SocketData } from './chat.events';

const TOKEN_QUERY_KEYS = ['token', 'access_token', 'auth', 'jwt', 'authorization'];
const MAX_TOKEN_LENGTH = 4096;

export type HandshakeNext = (err?: ExtendedError) => void;

/**
 * Socket.IO handshake authentication for /chat: the token comes from `auth.token` and is checked
 * with the same TokenService.verify as HTTP. No token means an anonymous viewer; a bad one is
 * refused rather than downgraded, so a client never believes it is signed in when it is not.
 */
@Injectable()
export class SocketAuthenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly metrics: MetricsService,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** Namespace middleware body; `draining` refuses new sessions while this instance shuts down. */
  async authenticate(socket: ChatSocket, next: HandshakeNext, draining: boolean): Promise<void> {
    const data: SocketData = { connectedAt: Date.now() };
    socket.data = data;
    if (draining || this.lifecycle.shuttingDown) return next(new Error('server is shutting down'));
    // A token in the query string would end up in proxy and access logs: refuse it outright
    // rather than silently connecting the client as anonymous.
    const query = socket.handshake.query as Record<string, unknown>;
    if (TOKEN_QUERY_KEYS.some((k) => query[k] !== undefined)) return this.refuse(next);
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (token === undefined || token === null) return next(); // anonymous viewer
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      return this.refuse(next);
    try {
      const user = await this.tokens.verify(token);
      const claims = jwt.decode(token);
      data.user = {
        id: user.id,
        username: user.username,
        displayName: user.displayName,
        role: user.role,
      };
      if (claims && typeof claims === 'object' && typeof claims.exp === 'number')
        data.authExpiresAt = claims.exp * 1000;
      next();
    } catch (err) {
      if (isUnavailableError(err)) {
        this.metrics.wsError('other');
        return next(new Error('service unavailable'));
      }
      this.refuse(next);
    }
  }

  private refuse(next: HandshakeNext): void {
    this.metrics.wsError('auth');
    next(new Error('unauthorized'));
  }
}
