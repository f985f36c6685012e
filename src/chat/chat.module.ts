import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config';
import { PresenceModule } from '../presence/presence.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ChatMessageEntity } from './chat-message.entity';
import { ChatHistoryController } from './chat-history.controller';
import { ChatMessagesRepository } from './chat-messages.repository';
import { ChatRetentionJob } from './chat-retention.job';
import { ChatBroadcaster } from './chat.broadcaster';
import { ChatGateway } from './chat.gateway';
import { SocketAuthenticator } from './socket-auth';
import { ChatService } from './chat.service';

/**
 * The /chat Socket.IO gateway, chat rules and history. The Socket.IO server itself (Origin
 * checks, frame limit, Redis adapter) is configured by ChatIoAdapter in bootstrap.ts.
 */
@Module({})
export class ChatModule {
  static forRoot(_config: AppConfig): DynamicModule {
    return {
      module: ChatModule,
      imports: [TypeOrmModule.forFeature([ChatMessageEntity]), RoomsModule, PresenceModule],
      controllers: [ChatHistoryController],
      providers: [
        ChatMessagesRepository,
        ChatService,
        ChatBroadcaster,
        SocketAuthenticator,
        ChatGateway,
        ChatRetentionJob,
      ],
      exports: [ChatService],
    };
  }
}
