import { ValueTransformer } from 'typeorm';

/** bigint columns come back from PostgreSQL as strings; sizes fit in a JS number (< 2^53). */
export const bigintToNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};
