import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
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
import { Page, PageQueryDto } from '../common/pagination';
import { ParseUuidPipe } from '../common/uuid.pipe';
import {
  CreateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookDto,
  WebhookPageDto,
  WebhookWithSecretDto,
} from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary:
      'Subscribe a URL to product events of your streams (all streams for an admin); the signing secret is shown only here',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretDto })
  @ApiErrors(400, 401, 409)
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateWebhookDto,
  ): Promise<WebhookWithSecretDto> {
    return this.webhooks.create(user, dto);
  }

  @Get()
  @ApiOperation({
    summary: "Your webhooks (an admin sees everyone's), newest first, cursor paging",
  })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiErrors(400, 401)
  list(@CurrentUser() user: AuthUser, @Query() q: PageQueryDto): Promise<Page<WebhookDto>> {
    return this.webhooks.list(user, q);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Delete a webhook (owner or admin); nothing more is sent to it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 401, 403, 404)
  remove(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    return this.webhooks.remove(user, id);
  }

  @Get(':id/deliveries')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Recent delivery attempts of a webhook (owner or admin), newest first, cursor paging',
  })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiErrors(400, 401, 403, 404)
  deliveries(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Query() q: PageQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.webhooks.deliveries(user, id, q);
  }
}
