import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type Role = 'admin' | 'user';

@Entity('users')
export class UserEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Lower-cased copy for case-insensitive uniqueness; `username` keeps the user's spelling. */
  @Index('UQ_users_username_lower', { unique: true })
  @Column('varchar', { length: 32 })
  usernameLower!: string;

  @Column('varchar', { length: 32 })
  username!: string;

  @Column('varchar', { length: 64 })
  displayName!: string;

  @Column('varchar', { length: 255 })
  passwordHash!: string;

  @Column('varchar', { length: 16 })
  role!: Role;

  /** Set when an admin disables the account; its tokens stop working at once. */
  @Column({ type: Date, nullable: true })
  disabledAt!: Date | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
