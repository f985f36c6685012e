import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { ConflictError, UnauthorizedError } from '../common/errors';
import { UserDto } from '../users/user.dto';
import { UsersRepository } from '../users/users.repository';
import type { AuthResponseDto, LoginDto, RegisterDto } from './auth.dto';
import type { AuthUser } from './auth.types';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';

const BAD_CREDENTIALS = 'Invalid username or password';

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly log = new Logger('AuthService');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    if (await this.users.findByUsername(admin.username)) return;
    try {
      await this.users.create({
        username: admin.username,
        displayName: admin.username,
        passwordHash: await this.hasher.hash(admin.password),
        role: 'admin',
      });
      this.log.log({ username: admin.username }, 'Admin account created');
    } catch (err) {
      // Another replica created it at the same moment.
      if (!(err instanceof ConflictError)) throw err;
    }
  }

  async register(dto: RegisterDto): Promise<AuthResponseDto> {
    if (await this.users.findByUsername(dto.username))
      throw new ConflictError('username is already taken');
    const user = await this.users.create({
      username: dto.username,
      displayName: dto.displayName ?? dto.username,
      passwordHash: await this.hasher.hash(dto.password),
      role: 'user',
    });
    return { user: UserDto.from(user), ...this.tokens.issue(user) };
  }

  /** Same answer, and about the same time, for an unknown user and a wrong password. */
  async login(dto: LoginDto): Promise<AuthResponseDto> {
    const user = await this.users.findByUsername(dto.username);
    const ok = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !ok || user.disabledAt) throw new UnauthorizedError(BAD_CREDENTIALS);
    return { user: UserDto.from(user), ...this.tokens.issue(user) };
  }

  async me(principal: AuthUser): Promise<UserDto> {
    const user = await this.users.findById(principal.id);
    if (!user) throw new UnauthorizedError();
    return UserDto.from(user);
  }
}
