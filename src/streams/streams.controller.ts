import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/guards';
import { ApiErrors } from '../common/api-errors.decorator';
import type { Page } from '../common/pagination';
import { CreateStreamDto } from './dto/create-stream.dto';
import { ListStreamsQueryDto } from './dto/list-streams.query';
import { StreamDto, StreamPageDto, StreamWithKeyDto } from './dto/stream.dto';
import { UpdateStreamDto } from './dto/update-stream.dto';
import { ParseUuidPipe } from '../common/uuid.pipe';
import { StreamsService } from './streams.service';

const ID_PARAM = {
  name: 'id',
  format: 'uuid',
  description: 'Stream id',
  example: '2b7e8f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b',
};

@ApiTags('streams')
@Controller('streams')
export class StreamsController {
  constructor(private readonly streams: StreamsService) {}

  @Post()
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  // The key is in this response: no cache may keep it.
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create a stream',
    description:
      'The response is the only time the stream key (and the ingest URL that contains it) is shown.',
  })
  @ApiCreatedResponse({ type: StreamWithKeyDto })
  @ApiErrors(400, 401, 409)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateStreamDto): Promise<StreamWithKeyDto> {
    return this.streams.create(user, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'List streams, newest first',
    description:
      'Filters: ?status=idle|live|ended, ?ownerId=<uuid>. Paging: ?limit (1..100, default 20) and ?cursor from nextCursor.',
  })
  @ApiOkResponse({ type: StreamPageDto })
  @ApiErrors(400)
  list(@Query() query: ListStreamsQueryDto): Promise<Page<StreamDto>> {
    return this.streams.list(query);
  }

  @Patch(':id')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiParam(ID_PARAM)
  @ApiOperation({
    summary: 'Change title, room and/or access (owner or admin)',
    description:
      'roomId must be an open room, or null to unlink. access is public or members. An ended stream cannot be changed (409).',
  })
  @ApiOkResponse({ type: StreamDto })
  @ApiErrors(400, 401, 403, 404, 409)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateStreamDto,
  ): Promise<StreamDto> {
    return this.streams.update(user, id, dto);
  }

  @Delete(':id')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiParam(ID_PARAM)
  @ApiOperation({
    summary: 'End a stream for good (owner or admin)',
    description:
      'A live stream goes offline first. The stream stays readable with status "ended". Idempotent.',
  })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiErrors(400, 401, 403, 404, 409)
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<void> {
    await this.streams.remove(user, id);
  }

  @Post(':id/key')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiParam(ID_PARAM)
  @ApiOperation({
    summary: 'Rotate the stream key (owner or admin)',
    description:
      'The old key is refused from now on; a publisher that is already live is not cut off. Shows the new key once.',
  })
  @ApiOkResponse({ type: StreamWithKeyDto })
  @ApiErrors(400, 401, 403, 404, 409)
  rotateKey(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<StreamWithKeyDto> {
    return this.streams.rotateKey(user, id);
  }
}
