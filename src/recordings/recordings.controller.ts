import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { Page, PageQueryDto } from '../common/pagination';
import { ParseUuidPipe } from '../common/uuid.pipe';
import { VideoDto, VideoPageDto } from '../videos/dto/video.dto';
import { RecordingsService } from './recordings.service';

/** GET /streams/:id/recordings lives here so streams need not know about videos. */
@ApiTags('streams')
@Controller('streams')
export class RecordingsController {
  constructor(private readonly recordings: RecordingsService) {}

  @Get(':id/recordings')
  @ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'Stream id',
    example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b',
  })
  @ApiOperation({
    summary: "A stream's recordings, newest first (video objects)",
    description:
      'Recordings the media server made of this stream and OnAir imported as MP4 videos (source "recording"). ' +
      'Anyone may read them, like GET /streams/:id. Paging: ?limit (1..100, default 20) and ?cursor from nextCursor.',
  })
  @ApiOkResponse({ type: VideoPageDto })
  @ApiErrors(400, 404)
  list(
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<VideoDto>> {
    return this.recordings.listForStream(id, query);
  }
}
