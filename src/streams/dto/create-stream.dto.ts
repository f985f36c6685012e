import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';

export const trimString = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
export const lowerString = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.toLowerCase() : value;

export class CreateStreamDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 120,
    example: 'Tech talk',
    description: 'Leading and trailing spaces are removed',
  })
  @Transform(trimString)
  @IsString()
  @Length(1, 120)
  title!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    example: '3f1b2a9c-6d3e-4f7a-9b1c-2d4e6f8a0b1c',
    description: 'An open room to show the stream in',
  })
  @IsOptional()
  @Transform(lowerString)
  @IsUUID()
  roomId?: string | null;
}
