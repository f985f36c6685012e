import type { ValidationError } from 'class-validator';

export interface ValidationMessageOptions {
  /**
   * Give nested messages the full path of their field ("alerts.3.startsAt must be …") rather than
   * class-validator's bare property name. Off by default: the public DTOs keep their messages as 0.1
   * answered them.
   */
  qualifyNested?: boolean;
}

/**
 * class-validator errors → the list of messages of a VALIDATION_FAILED answer (HTTP bodies, query
 * strings, socket payloads and multipart fields all speak the same words). An unknown property is
 * named with its full path, so `property a.b should not exist` says where it is.
 */
export function validationMessages(
  errors: ValidationError[],
  options: ValidationMessageOptions = {},
  parent = '',
): string[] {
  return errors.flatMap((e) => {
    const prop = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => {
      if (m.includes('should not exist')) return `property ${prop} should not exist`;
      if (!options.qualifyNested || !parent) return m;
      return m.startsWith(e.property) ? prop + m.slice(e.property.length) : `${prop}: ${m}`;
    });
    return [...own, ...validationMessages(e.children ?? [], options, prop)];
  });
}
