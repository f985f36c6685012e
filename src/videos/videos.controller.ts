import {
  applyDecorators,
  Controller,
  Delete,
  Get,
  Head,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/guards';
import { ApiErrors } from '../common/api-errors.decorator';
import { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ListVideosQueryDto, UploadVideoDto, VideoDto, VideoPageDto } from './dto/video.dto';
import { toUploadError, uploadParts } from './multipart-upload';
import { RangeNotSatisfiableError, VideoContentResponder } from './video-content.responder';
import { videoIdPipe } from './video-id';
import { SUPPORTED_VIDEO_TYPES } from './video-signature';
import { VideosService } from './videos.service';

/** Swagger for the content route (GET and HEAD share it). */
const ApiVideoContent = () =>
  applyDecorators(
    ApiHeader({
      name: 'Range',
      required: false,
      description:
        'One range: bytes=a-b, bytes=a- or bytes=-n. Malformed or multiple ranges are ignored (200, whole file).',
    }),
    ApiHeader({
      name: 'If-Range',
      required: false,
      description:
        'ETag or Last-Modified of the copy the client holds; when stale the whole file is sent (200).',
    }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'ETag(s); a match answers 304.',
    }),
    ApiHeader({
      name: 'If-Modified-Since',
      required: false,
      description: 'Ignored when If-None-Match is present; not modified since → 304.',
    }),
    ApiProduces(...Object.keys(SUPPORTED_VIDEO_TYPES)),
    ApiResponse({
      status: 200,
      description: 'The whole file (also for malformed/multiple ranges or a stale If-Range)',
      schema: { type: 'string', format: 'binary' },
      headers: {
        'Accept-Ranges': { schema: { type: 'string', example: 'bytes' } },
        ETag: { description: 'Strong, from the content sha256', schema: { type: 'string' } },
        'Last-Modified': { schema: { type: 'string' } },
        'Content-Length': { schema: { type: 'integer' } },
        'Content-Disposition': {
          schema: { type: 'string', example: `inline; filename="Keynote 2026.mp4"` },
        },
      },
    }),
    ApiResponse({
      status: 206,
      description: 'The requested single range',
      schema: { type: 'string', format: 'binary' },
      headers: {
        'Content-Range': { schema: { type: 'string', example: 'bytes 0-1023/734003200' } },
        'Content-Length': { schema: { type: 'integer', example: 1024 } },
      },
    }),
    ApiResponse({
      status: 304,
      description: 'Not modified (If-None-Match / If-Modified-Since matched)',
    }),
    ApiResponse({
      status: 412,
      description: 'If-Match / If-Unmodified-Since failed (PRECONDITION_FAILED)',
    }),
    ApiResponse({
      status: 416,
      description: 'Range not satisfiable (RANGE_NOT_SATISFIABLE)',
      headers: { 'Content-Range': { schema: { type: 'string', example: 'bytes */734003200' } } },
    }),
    ApiErrors(404),
  );

@ApiTags('videos')
@Controller('videos')
export class VideosController {
  constructor(
    private readonly videos: VideosService,
    private readonly responder: VideoContentResponder,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Upload a video (multipart/form-data: "file" + "title", in either order)',
    description:
      'The file is streamed to disk, never buffered; it must be at most MAX_UPLOAD_BYTES, declared as a supported video type, and its first bytes must match that container (mp4/mov/3gp: ftyp box; webm/mkv: EBML; MPEG-TS: sync bytes). Any other field is refused (400). A failed or interrupted upload leaves nothing behind.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadVideoDto })
  @ApiCreatedResponse({ type: VideoDto })
  @ApiErrors(400, 401, 413, 415, 503)
  async upload(
    @CurrentUser() user: AuthUser,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VideoDto> {
    try {
      return await this.videos.upload(user, uploadParts(req, this.config));
    } catch (err) {
      // The rest of a refused body is not worth receiving: close the connection after answering
      // instead of reading (possibly gigabytes) to keep it alive.
      void reply.header('Connection', 'close');
      throw toUploadError(err);
    }
  }

  @Get()
  @ApiOperation({ summary: 'List videos, newest first' })
  @ApiOkResponse({ type: VideoPageDto })
  @ApiErrors(400)
  list(@Query() query: ListVideosQueryDto): Promise<VideoPageDto> {
    return this.videos.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Video metadata' })
  @ApiOkResponse({ type: VideoDto })
  @ApiErrors(404)
  get(@Param('id', videoIdPipe) id: string): Promise<VideoDto> {
    return this.videos.get(id);
  }

  // Declared before the GET so Fastify does not also generate an implicit HEAD route for it.
  @Head(':id/content')
  @ApiOperation({ summary: 'Headers of the content (same as GET, without the body)' })
  @ApiVideoContent()
  head(
    @Param('id', videoIdPipe) id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.serve(id, req, reply);
  }

  @Get(':id/content')
  @ApiOperation({ summary: 'Stream the video (HTTP range requests, conditional requests)' })
  @ApiVideoContent()
  content(
    @Param('id', videoIdPipe) id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.serve(id, req, reply);
  }

  @Delete(':id')
  @HttpCode(204)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Delete a video and its file (owner or admin). Downloads already running finish.',
  })
  @ApiNoContentResponse()
  @ApiErrors(401, 403, 404)
  remove(@CurrentUser() user: AuthUser, @Param('id', videoIdPipe) id: string): Promise<void> {
    return this.videos.remove(user, id);
  }

  private async serve(id: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const video = await this.videos.require(id);
    try {
      return await this.responder.respond(req, reply, video);
    } catch (err) {
      if (err instanceof RangeNotSatisfiableError)
        void reply.header('Content-Range', err.contentRange);
      throw err;
    }
  }
}
