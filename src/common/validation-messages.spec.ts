import type { ValidationError } from 'class-validator';
import { validationMessages } from './validation-messages';

const nested: ValidationError[] = [
  {
    property: 'alerts',
    constraints: { isArray: 'alerts must be an array' },
    children: [
      {
        property: '3',
        children: [
          {
            property: 'startsAt',
            constraints: { isDateString: 'startsAt must be a valid ISO 8601 date string' },
            children: [],
          },
          {
            property: 'extra',
            constraints: { whitelistValidation: 'property extra should not exist' },
            children: [],
          },
          { property: 'labels', constraints: { isObject: 'must be an object' }, children: [] },
        ],
      },
    ],
  },
];

describe('validationMessages', () => {
  it('keeps class-validator messages and names an unknown property with its full path', () => {
    expect(validationMessages(nested)).toEqual([
      'alerts must be an array',
      'startsAt must be a valid ISO 8601 date string',
      'property alerts.3.extra should not exist',
      'must be an object',
    ]);
  });

  it('gives nested messages their full path when asked to', () => {
    expect(validationMessages(nested, { qualifyNested: true })).toEqual([
      'alerts must be an array',
      'alerts.3.startsAt must be a valid ISO 8601 date string',
      'property alerts.3.extra should not exist',
      'alerts.3.labels: must be an object',
    ]);
  });

  it('returns no message for no error', () => {
    expect(validationMessages([])).toEqual([]);
  });
});
