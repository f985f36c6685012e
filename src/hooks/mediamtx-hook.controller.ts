import { Body } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/api-errors.decorator';
import { UnauthorizedError } from '../common/errors';
import { MediaMtxAuthBodyDto } from './dto/hook-bodies.dto';
import { parseMediaMtx } from './hook-calls';
import { HookController, HookPost } from './hook-route.decorator';
import { HooksService } from './hooks.service';

@HookController('mediamtx')
export class MediaMtxHookController {
  constructor(private readonly hooks: HooksService) {}

  @HookPost()
  @ApiOperation({
    summary: 'MediaMTX external authentication (authMethod: http)',
    description:
      'JSON as MediaMTX sends it. publish needs the stream key in the query (key=…); read needs a valid play signature (exp=…&sig=…) ' +
      'for a live stream and is not counted as a viewer (this hook has no matching "stopped reading" call). ' +
      'playback, api, metrics and pprof are always refused.',
  })
  @ApiBody({ type: MediaMtxAuthBodyDto })
  @ApiOkResponse({ description: 'Allowed' })
  @ApiUnauthorizedResponse({ description: 'Refused', type: ErrorResponseDto })
  @ApiBadRequestResponse({ description: 'Malformed body', type: ErrorResponseDto })
  async handle(@Body() body: unknown): Promise<void> {
    if (!(await this.hooks.handle('mediamtx', parseMediaMtx(body))))
      throw new UnauthorizedError('refused');
  }
}
