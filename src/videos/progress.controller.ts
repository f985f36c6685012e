import { Body, Controller, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/guards';
import { ApiErrors } from '../common/api-errors.decorator';
import { ProgressDto, UpdateProgressDto } from './dto/progress.dto';
import { ProgressService } from './progress.service';
import { videoIdPipe } from './video-id';

@ApiTags('videos')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('videos')
export class ProgressController {
  constructor(private readonly progress: ProgressService) {}

  @Put(':id/progress')
  @HttpCode(204)
  @ApiOperation({
    summary: "Save the caller's playback position in this video",
    description:
      'Last write wins by server receive time: a request that was overtaken by a newer one is accepted (204) but does not overwrite it.',
  })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 404, 503)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', videoIdPipe) id: string,
    @Body() dto: UpdateProgressDto,
  ): Promise<void> {
    return this.progress.update(user, id, dto);
  }

  @Get(':id/progress')
  @ApiOperation({ summary: "The caller's last saved playback position in this video" })
  @ApiOkResponse({ type: ProgressDto })
  @ApiErrors(401, 404, 503)
  get(@CurrentUser() user: AuthUser, @Param('id', videoIdPipe) id: string): Promise<ProgressDto> {
    return this.progress.get(user, id);
  }
}
