import { ChatMessageEntity } from '../chat/chat-message.entity';
import { RecordingImportEntity } from '../recordings/recording-import.entity';
import { RoomBanEntity } from '../rooms/room-ban.entity';
import { RoomEntity } from '../rooms/room.entity';
import { StreamEntity } from '../streams/stream.entity';
import { UserEntity } from '../users/user.entity';
import { VideoEntity } from '../videos/video.entity';
import { WebhookAttemptEntity } from '../webhooks/webhook-attempt.entity';
import { WebhookDeliveryEntity } from '../webhooks/webhook-delivery.entity';
import { WebhookEventEntity } from '../webhooks/webhook-event.entity';
import { WebhookSubscriptionEntity } from '../webhooks/webhook-subscription.entity';

/** Every entity, in one list shared by the app and the migration CLI. */
export const ENTITIES = [
  UserEntity,
  StreamEntity,
  RoomEntity,
  RoomBanEntity,
  ChatMessageEntity,
  VideoEntity,
  WebhookSubscriptionEntity,
  WebhookEventEntity,
  WebhookDeliveryEntity,
  WebhookAttemptEntity,
  RecordingImportEntity,
];
