import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth.types';
import { NotFoundError, ValidationFailedError } from '../common/errors';
import { ProgressDto, UpdateProgressDto } from './dto/progress.dto';
import { ProgressStore } from './progress.store';
import { VideosService } from './videos.service';

/** Where each signed-in viewer stopped in each video ("continue watching"). */
@Injectable()
export class ProgressService {
  constructor(
    private readonly videos: VideosService,
    private readonly store: ProgressStore,
  ) {}

  /**
   * Records a position. The timestamp is the server's receive time, taken before any I/O, so of
   * two racing writes the one that arrived later wins even if it reaches the store first.
   */
  async update(user: AuthUser, videoId: string, dto: UpdateProgressDto): Promise<void> {
    const receivedAt = new Date();
    const video = await this.videos.require(videoId);
    if (video.durationSec !== null && dto.positionSec > video.durationSec) {
      throw new ValidationFailedError([
        `positionSec must not be greater than the video's duration (${video.durationSec} s)`,
      ]);
    }
    await this.store.save(user.id, videoId, {
      positionSec: dto.positionSec,
      paused: dto.paused,
      updatedAt: receivedAt,
    });
  }

  async get(user: AuthUser, videoId: string): Promise<ProgressDto> {
    await this.videos.require(videoId);
    const p = await this.store.get(user.id, videoId);
    if (!p) throw new NotFoundError('Playback progress');
    return ProgressDto.from(p);
  }
}
