import { Global, Injectable, Module } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DomainEvents } from './ports';

/**
 * Typed publishing of domain events over the app's EventEmitter2: an event name outside
 * DomainEvents, or a payload of the wrong shape, does not compile.
 */
@Injectable()
export class DomainEventBus {
  constructor(private readonly events: EventEmitter2) {}

  emit<K extends keyof DomainEvents>(name: K, payload: DomainEvents[K]): void {
    this.events.emit(name, payload);
  }
}

/** Infrastructure, like the EventEmitter2 it wraps: available to every feature module. */
@Global()
@Module({ providers: [DomainEventBus], exports: [DomainEventBus] })
export class DomainEventsModule {}
