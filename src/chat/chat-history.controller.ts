import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { Page, PageQueryDto } from '../common/pagination';
import { ParseUuidPipe } from '../common/uuid.pipe';
import { ChatMessagePageDto } from './chat.dto';
import type { ChatMessageView } from './chat.events';
import { ChatService } from './chat.service';

@ApiTags('rooms')
@Controller('rooms')
export class ChatHistoryController {
  constructor(private readonly chat: ChatService) {}

  @Get(':id/messages')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Chat history of a room, newest first; deleted (hidden) messages are left out',
  })
  @ApiOkResponse({ type: ChatMessagePageDto })
  @ApiErrors(400, 404)
  history(
    @Param('id', ParseUuidPipe) id: string,
    @Query() q: PageQueryDto,
  ): Promise<Page<ChatMessageView>> {
    return this.chat.history(id, q);
  }
}
