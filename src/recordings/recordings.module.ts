import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RecordingIntake } from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { StreamsModule } from '../streams/streams.module';
import { VideosModule } from '../videos/videos.module';
import { RecordingImportEntity } from './recording-import.entity';
import { RecordingImportWorker } from './recording-import.worker';
import { RecordingImportsRepository } from './recording-imports.repository';
import { RecordingsController } from './recordings.controller';
import { RecordingsService } from './recordings.service';

/**
 * Recordings become videos: the hooks hand reports over through the RecordingIntake port (so
 * hooks do not import this module), the worker imports them into the videos feature. Imports
 * streams (StreamsService: whose stream a recording is) and videos.
 */
@Module({})
export class RecordingsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RecordingsModule,
      imports: [
        TypeOrmModule.forFeature([RecordingImportEntity]),
        StreamsModule,
        VideosModule.forRoot(config),
      ],
      controllers: [RecordingsController],
      providers: [
        RecordingImportsRepository,
        RecordingImportWorker,
        RecordingsService,
        { provide: RecordingIntake, useExisting: RecordingsService },
      ],
      exports: [RecordingIntake],
    };
  }
}
