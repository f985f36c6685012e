import type { ExecutionContext } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { EntityManager } from 'typeorm';
import type { ChatSocket } from '../../src/chat/chat.broadcaster';
import type { AppConfig } from '../../src/config/app-config';
import { MetricsService } from '../../src/metrics/metrics.service';

/**
 * Typed fakes for unit specs. Each is built against the real class or type, so a renamed method,
 * or an implementation of the wrong shape, fails to compile (`npm run lint:types` covers src and
 * test). Where a plain object must stand in for a class with private members, or for a
 * third-party type, the one cast is here, never in a spec.
 */

/** The names of T's public methods. */
export type MethodsOf<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T] &
  string;

/** Implementations given to a fake: some of T's methods, with their real signatures. */
export type FakeImpl<T> = Partial<Pick<T, MethodsOf<T>>>;

type AnyClass<T> = abstract new (...args: never[]) => T;
type AnyFn = (...args: unknown[]) => unknown;

function methodNames(from: object | null, into: Set<string>): void {
  for (let p = from; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && typeof d?.value === 'function') into.add(name);
    }
  }
}

/**
 * A fake instance of `cls`: every method of its prototype chain is a jest.fn() returning
 * undefined, except those `impl` gives (an object literal or an instance of a hand-written fake
 * class; jest.fn()s are kept as they are, plain functions are wrapped in one). Methods an
 * abstract class only declares exist when `impl` gives them.
 */
export function fakeOf<T extends object>(
  cls: AnyClass<T>,
  impl: NoInfer<FakeImpl<T>> = {},
): jest.Mocked<T> {
  const names = new Set<string>();
  methodNames(cls.prototype as object, names);
  methodNames(impl, names);
  const given = impl as Record<string, unknown>;
  const fake: Record<string, jest.Mock> = {};
  for (const name of names) {
    const fn = given[name];
    if (typeof fn !== 'function') fake[name] = jest.fn();
    else if (jest.isMockFunction(fn)) fake[name] = fn;
    else fake[name] = jest.fn((...args: unknown[]) => (fn as AnyFn).apply(impl, args));
  }
  return fake as unknown as jest.Mocked<T>;
}

/** MetricsService with every recording method a jest.fn() (no prom-client metric is created). */
export function fakeMetrics(impl: FakeImpl<MetricsService> = {}): jest.Mocked<MetricsService> {
  return fakeOf(MetricsService, impl);
}

/** Every level optional: what a spec states of a nested config. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[]
    ? U[]
    : T[K] extends object | undefined
      ? DeepPartial<T[K]>
      : T[K];
};

/**
 * An AppConfig holding only what the spec states (typo'd or renamed fields do not compile). The
 * rest is absent: the unit under test must not read it. For a complete config use loadConfig().
 */
export function fakeConfig(config: DeepPartial<AppConfig>): AppConfig {
  return config as AppConfig;
}

/**
 * A ModuleRef whose get() returns the instances given by token, and throws for any other token
 * as Nest does for a provider that does not exist.
 */
export function fakeModuleRef(
  provided: ReadonlyArray<readonly [unknown, unknown]> = [],
): ModuleRef {
  const byToken = new Map<unknown, unknown>(provided);
  const get = jest.fn((token: unknown) => {
    if (byToken.has(token)) return byToken.get(token);
    throw new Error(`Nest could not find ${String(token)} element (fake ModuleRef)`);
  });
  return { get } as unknown as ModuleRef;
}

/** An opaque TypeORM EntityManager: fakes that take one only pass it along or key state by it. */
export function fakeEntityManager(): EntityManager {
  return Object.create(EntityManager.prototype) as EntityManager;
}

/** A Socket.IO socket of the chat namespace with only the fields a spec needs. */
export function fakeSocket(fields: Partial<Pick<ChatSocket, 'id' | 'connected'>>): ChatSocket {
  return fields as unknown as ChatSocket;
}

/** An HTTP ExecutionContext for a guard: the handler `handler` of class `cls`, request, response. */
export function fakeHttpContext<C extends object>(fields: {
  cls: new () => C;
  handler: MethodsOf<C>;
  request: object;
  response: object;
}): ExecutionContext {
  const fn = (fields.cls.prototype as Record<string, unknown>)[fields.handler];
  return {
    getType: () => 'http',
    getClass: () => fields.cls,
    getHandler: () => fn,
    switchToHttp: () => ({
      getRequest: () => fields.request,
      getResponse: () => fields.response,
    }),
  } as unknown as ExecutionContext;
}
