import {
  Body,
  Controller,
  Delete,
  Get,
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
import { JwtAuthGuard, OptionalJwtAuthGuard } from '../auth/guards';
import { ApiErrors } from '../common/api-errors.decorator';
import type { Page } from '../common/pagination';
import { ParseUuidPipe } from '../common/uuid.pipe';
import {
  BanDto,
  BanUserDto,
  CreateRoomDto,
  HeartbeatDto,
  ListRoomsQueryDto,
  PresenceDto,
  RoomDetailDto,
  RoomDto,
  RoomPageDto,
  UpdateRoomDto,
} from './rooms.dto';
import { RoomsService } from './rooms.service';

@ApiTags('rooms')
@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Post()
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create a room; the caller becomes its host' })
  @ApiCreatedResponse({ type: RoomDto })
  @ApiErrors(400, 401)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateRoomDto): Promise<RoomDto> {
    return this.rooms.create(user, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'List rooms (open ones by default), newest first, with live onlineCount',
  })
  @ApiOkResponse({ type: RoomPageDto })
  @ApiErrors(400)
  list(@Query() q: ListRoomsQueryDto): Promise<Page<RoomDto>> {
    return this.rooms.list(q);
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'A room with its onlineCount and the stream live in it (or null)' })
  @ApiOkResponse({ type: RoomDetailDto })
  @ApiErrors(400, 404)
  get(@Param('id', ParseUuidPipe) id: string): Promise<RoomDetailDto> {
    return this.rooms.get(id);
  }

  @Patch(':id')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Rename or re-describe a room (host or admin); a closed room cannot be edited (409 ROOM_CLOSED)',
  })
  @ApiOkResponse({ type: RoomDto })
  @ApiErrors(400, 401, 403, 404, 409)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateRoomDto,
  ): Promise<RoomDto> {
    return this.rooms.update(user, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Close a room (host or admin): status becomes closed, connected members get room:closed and are removed. Idempotent.',
  })
  @ApiNoContentResponse({ description: 'Closed' })
  @ApiErrors(400, 401, 403, 404)
  close(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    return this.rooms.close(user, id);
  }

  @Post(':id/bans')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Ban a user from sending in the room (host or admin)',
    description:
      'The user can still read; their sends are refused with BANNED and their sockets get chat:banned. Banning again replaces the expiry. The host cannot be banned (409).',
  })
  @ApiCreatedResponse({ type: BanDto })
  @ApiErrors(400, 401, 403, 404, 409)
  ban(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: BanUserDto,
  ): Promise<BanDto> {
    return this.rooms.ban(user, id, dto);
  }

  @Delete(':id/bans/:userId')
  @HttpCode(204)
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOperation({ summary: 'Lift a ban (host or admin); 204 also when there was none' })
  @ApiNoContentResponse({ description: 'Lifted' })
  @ApiErrors(400, 401, 403, 404)
  unban(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Param('userId', new ParseUuidPipe('userId')) userId: string,
  ): Promise<void> {
    return this.rooms.unban(user, id, userId);
  }

  @Post(':id/heartbeat')
  @HttpCode(204)
  @UseGuards(OptionalJwtAuthGuard)
  @ApiBearerAuth()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Keep a viewer counted for PRESENCE_TTL_SEC (for players without a chat socket; send every 15 s)',
    description:
      'Signed-in viewers are identified by their token; anonymous ones send a viewerId of their choosing.',
  })
  @ApiNoContentResponse({ description: 'Counted' })
  @ApiErrors(400, 401, 404, 409)
  heartbeat(
    @CurrentUser() user: AuthUser | undefined,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: HeartbeatDto,
  ): Promise<void> {
    return this.rooms.heartbeat(id, user, dto ?? {});
  }

  @Get(':id/presence')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Who is online: onlineCount counts everybody, members lists signed-in viewers only',
  })
  @ApiOkResponse({ type: PresenceDto })
  @ApiErrors(400, 404)
  presence(@Param('id', ParseUuidPipe) id: string): Promise<PresenceDto> {
    return this.rooms.presenceOf(id);
  }
}
