import { Body } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.decorator';
import { SrsHookBodyDto, SrsHookReplyDto } from './dto/hook-bodies.dto';
import { parseSrs } from './hook-calls';
import { HookController, HookPost } from './hook-route.decorator';
import { HooksService } from './hooks.service';

const ALLOW: SrsHookReplyDto = { code: 0 };
const DENY: SrsHookReplyDto = { code: 403 };

@HookController('srs')
export class SrsHookController {
  constructor(private readonly hooks: HooksService) {}

  @HookPost()
  @ApiOperation({
    summary: 'SRS http_hooks on_publish / on_unpublish / on_play / on_stop',
    description:
      'JSON as SRS sends it. A decision is always HTTP 200: {"code":0} allows, {"code":403} refuses. ' +
      'A wrong secret (403) or a malformed body (400) is also a failure for SRS.',
  })
  @ApiBody({ type: SrsHookBodyDto })
  @ApiOkResponse({ type: SrsHookReplyDto })
  @ApiBadRequestResponse({
    description: 'Malformed body or unknown action',
    type: ErrorResponseDto,
  })
  async handle(@Body() body: unknown): Promise<SrsHookReplyDto> {
    return (await this.hooks.handle('srs', parseSrs(body))) ? ALLOW : DENY;
  }
}
