import { Body } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.decorator';
import { ForbiddenError } from '../common/errors';
import { NginxRtmpHookBodyDto } from './dto/hook-bodies.dto';
import { parseNginxRtmp } from './hook-calls';
import { HookController, HookPost } from './hook-route.decorator';
import { HooksService } from './hooks.service';

@HookController('nginx-rtmp')
export class NginxRtmpHookController {
  constructor(private readonly hooks: HooksService) {}

  @HookPost({ refusedIs403: true })
  @ApiOperation({
    summary: 'nginx-rtmp on_publish / on_publish_done / on_play / on_play_done / on_update',
    description:
      'Form-encoded body as nginx-rtmp sends it (notify_method post), with the client query (key, or exp+sig) appended. ' +
      'Allowed = 200 with an empty body, refused = 403. Never answers 3xx (nginx-rtmp would rename or relay the stream). ' +
      'call=update_publish (on_update, notify_update_strict on) is 200 while the client is still the live publisher with the current key, ' +
      '403 once the stream was deleted/ended, its key rotated or its owner disabled (nginx-rtmp then drops the publisher).',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: NginxRtmpHookBodyDto })
  @ApiOkResponse({ description: 'Allowed (or a notification was recorded)' })
  @ApiBadRequestResponse({
    description:
      'Malformed body: call missing/unknown, or a field nginx-rtmp sends once was repeated',
    type: ErrorResponseDto,
  })
  async handle(@Body() body: unknown): Promise<void> {
    if (!(await this.hooks.handle('nginx-rtmp', parseNginxRtmp(body))))
      throw new ForbiddenError('refused');
  }
}
