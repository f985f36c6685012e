import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { PageName } from './web-assets';
import { WebPagesService } from './web-pages.service';

/** The pages (outside /api/v1, see bootstrap.ts) and their content-hashed assets. */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(private readonly web: WebPagesService) {}

  @Get('/')
  home(@Res() reply: FastifyReply): FastifyReply {
    return this.send(reply, 'home');
  }

  @Get('watch/:streamId')
  watch(@Res() reply: FastifyReply): FastifyReply {
    return this.send(reply, 'watch');
  }

  @Get('studio')
  studio(@Res() reply: FastifyReply): FastifyReply {
    return this.send(reply, 'studio');
  }

  @Get('embed/chat/:roomId')
  embed(@Res() reply: FastifyReply): FastifyReply {
    return this.send(reply, 'embed');
  }

  // Immutable, content-hashed files: cheap to serve and cached by browsers, so not throttled.
  @SkipThrottle()
  @Get('assets/:file')
  asset(
    @Param('file') file: string,
    @Headers('accept-encoding') acceptEncoding: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): FastifyReply {
    const a = this.web.asset(file);
    void reply
      .header('content-type', a.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', a.etag)
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff');
    if (ifNoneMatch === a.etag) return reply.status(304).send();
    if (a.gzipped && /\bgzip\b/.test(acceptEncoding ?? '')) {
      return reply.header('content-encoding', 'gzip').send(a.gzipped);
    }
    return reply.send(a.body);
  }

  private send(reply: FastifyReply, page: PageName): FastifyReply {
    const p = this.web.page(page);
    return reply.headers(p.headers).send(p.html);
  }
}
