import { z } from 'zod';

/** The keyset-pagination part of a list route's query: `limit` (1–500) and the `cursor` a page returned. */
export const pageQuery = (defaultLimit: number) => ({
  limit: z.coerce.number().int().min(1).max(500).default(defaultLimit),
  cursor: z.string().min(1).max(512).optional(),
});
