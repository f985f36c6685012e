import { ChatMessageEntity } from '../chat/chat-message.entity';
import { RecordingImportEntity } from '../recordings/recording-import.entity';
import { RoomBanEntity } from '../rooms/room-ban.entity';
import { RoomEntity } from '../rooms/room.entity';
import { StreamEntity } from '../streams/stream.entity';
import { UserEntity } from '../users/user.entity';
import { VideoEntity } from '../videos/video.entity';

/** Every entity, in one list shared by the app and the migration CLI. */
export const ENTITIES = [
  UserEntity,
  StreamEntity,
  RoomEntity,
  RoomBanEntity,
  ChatMessageEntity,
  VideoEntity,
  RecordingImportEntity,
];
