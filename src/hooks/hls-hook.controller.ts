import { Get, Headers, HttpCode } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.decorator';
import { ForbiddenError, ValidationFailedError } from '../common/errors';
import { PlaybackService } from '../playback/playback.service';
import { ApiHookSecret, HookController } from './hook-route.decorator';

@HookController('hls')
export class HlsHookController {
  constructor(private readonly playback: PlaybackService) {}

  @Get()
  @HttpCode(204)
  @ApiOperation({
    summary: 'HLS check for nginx auth_request (playlists and segments)',
    description:
      'nginx passes the viewer request line as X-Original-URI: /hls/<id>.m3u8, /hls/<id>-<n>.ts, /hls/<id>/index.m3u8 or /hls/<id>/<n>.ts, ' +
      'each with ?sid=…&exp=…&sig=… (any location prefix). 204 when the stream is live and the session verifies for that stream ' +
      '(the session is refreshed: it counts as a viewer for PLAY_SESSION_TTL_SEC); otherwise 403. No database access per call.',
  })
  @ApiHookSecret()
  @ApiHeader({
    name: 'X-Original-URI',
    required: true,
    description: "The viewer's request URI ($request_uri)",
    example:
      '/hls/2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b-12.ts?sid=9nq3Yk0fQm2lB6yZ8xWcNg&exp=1795300000&sig=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg',
  })
  @ApiNoContentResponse({ description: 'Allowed' })
  @ApiForbiddenResponse({
    description: 'Refused (bad, expired or foreign session, stream not live), or a wrong ?secret=',
    type: ErrorResponseDto,
  })
  @ApiBadRequestResponse({ description: 'X-Original-URI missing', type: ErrorResponseDto })
  async check(@Headers('x-original-uri') uri: unknown): Promise<void> {
    if (typeof uri !== 'string' || uri === '')
      throw new ValidationFailedError('X-Original-URI header is required');
    if (!(await this.playback.checkHls(uri))) throw new ForbiddenError('playback refused');
  }
}
