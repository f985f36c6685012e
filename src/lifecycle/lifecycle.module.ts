import { Global, Module } from '@nestjs/common';
import { LifecycleService } from './lifecycle.service';

/** Global: start-up and shutdown (drain) are infrastructure every feature takes part in. */
@Global()
@Module({ providers: [LifecycleService], exports: [LifecycleService] })
export class LifecycleModule {}
