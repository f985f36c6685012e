import { Controller, Header, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { OptionalJwtAuthGuard } from '../auth/guards';
import { ApiErrors } from '../common/api-errors.decorator';
import { ParseUuidPipe } from '../common/uuid.pipe';
import { PlaybackSessionDto } from './dto/playback-session.dto';
import { PlaybackService } from './playback.service';

@ApiTags('streams')
@Controller('streams')
export class PlaybackController {
  constructor(private readonly playback: PlaybackService) {}

  @Post(':id/playback')
  @UseGuards(OptionalJwtAuthGuard)
  @ApiBearerAuth()
  // Signed URLs for one player: no shared cache may hand them to another.
  @Header('Cache-Control', 'no-store')
  @ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'Stream id',
    example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b',
  })
  @ApiOperation({
    summary: 'Start a playback session (one per player)',
    description:
      'Anyone for access "public"; a signed-in user for access "members" (owner and admins always). ' +
      'The session counts as one viewer while the player fetches HLS (or plays RTMP/FLV) with its URLs; ' +
      'URLs are null where no base URL is configured. Allowed for idle streams too (the player waits for live).',
  })
  @ApiCreatedResponse({ type: PlaybackSessionDto })
  @ApiErrors(400, 401, 404, 409)
  create(
    @CurrentUser() user: AuthUser | undefined,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<PlaybackSessionDto> {
    return this.playback.createSession(user, id);
  }
}
