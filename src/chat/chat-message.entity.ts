import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('chat_messages')
@Index('IDX_chat_messages_room_created', ['roomId', 'createdAt', 'id'])
@Index('UQ_chat_messages_user_client_msg', ['userId', 'clientMsgId'], { unique: true })
export class ChatMessageEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  roomId!: string;

  @Column('uuid')
  userId!: string;

  /** Copied at send time so history needs no join. */
  @Column('varchar', { length: 64 })
  displayName!: string;

  @Column('varchar', { length: 500 })
  text!: string;

  @Column('varchar', { length: 64, nullable: true })
  clientMsgId!: string | null;

  @Column({ type: Date, nullable: true })
  hiddenAt!: Date | null;

  @Index('IDX_chat_messages_created')
  @CreateDateColumn()
  createdAt!: Date;
}
