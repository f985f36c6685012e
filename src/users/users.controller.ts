import { Controller, Delete, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard, Roles, RolesGuard } from '../auth/guards';
import { ApiErrors } from '../common/api-errors.decorator';
import { ParseUuidPipe } from '../common/uuid.pipe';
import { UsersService } from './users.service';

/** Admin-only account administration: disabling or deleting an account revokes its tokens and sockets at once. */
@ApiTags('users')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post(':id/disable')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Disable an account (admin): its tokens stop working at once and its open sockets are closed',
  })
  @ApiNoContentResponse({ description: 'Disabled' })
  @ApiErrors(400, 401, 403, 404, 409)
  disable(@CurrentUser() actor: AuthUser, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    return this.users.disable(actor, id);
  }

  @Post(':id/enable')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Enable a disabled account again (admin)' })
  @ApiNoContentResponse({ description: 'Enabled' })
  @ApiErrors(400, 401, 403, 404, 409)
  enable(@CurrentUser() actor: AuthUser, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    return this.users.enable(actor, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Delete an account (admin): its tokens stop working at once and its open sockets are closed',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 401, 403, 404, 409)
  delete(@CurrentUser() actor: AuthUser, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    return this.users.delete(actor, id);
  }
}
