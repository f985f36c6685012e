import { ApiProperty } from '@nestjs/swagger';
import type { Role, UserEntity } from './user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2c8e-8d5e-4a59-9d1a-3c1f6f0d2b11' })
  id!: string;
  @ApiProperty({ example: 'alice' })
  username!: string;
  @ApiProperty({ example: 'Alice' })
  displayName!: string;
  @ApiProperty({ enum: ['admin', 'user'], example: 'user' })
  role!: Role;
  @ApiProperty({ format: 'date-time', example: '2026-11-21T12:00:00.000Z' })
  createdAt!: string;

  static from(u: UserEntity): UserDto {
    return {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      role: u.role,
      createdAt: u.createdAt.toISOString(),
    };
  }
}
