import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The few hot paths served as plain Fastify routes beside Nest's router (HlsCheckRoute,
 * StreamReadRoute) are invisible to Nest's Swagger scanner: each declares its OpenAPI entry
 * here, merged into the document next to the controllers' operations on the same path.
 */
export interface PlainRouteDoc {
  /** OpenAPI path (`{param}` form). */
  path: string;
  /** Method → operation object. */
  item: Record<string, unknown>;
}

/** An error response in the contract's shape. */
export const errorResponse = (description: string) => ({
  description,
  content: {
    'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } },
  },
});

export function addPlainRouteDocs(document: OpenAPIObject, docs: readonly PlainRouteDoc[]): void {
  for (const d of docs)
    document.paths[d.path] = {
      ...document.paths[d.path],
      ...d.item,
    };
}
