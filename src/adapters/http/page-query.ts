import { z } from 'zod';

/** Every list route pages with a keyset cursor; no page is larger than this. */
export const MAX_PAGE_SIZE = 500;

/** The keyset-pagination part of a list route's query: `limit` (1–500) and the `cursor` a page returned. */
export const pageQuery = (defaultLimit: number) => ({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(defaultLimit),
  cursor: z.string().min(1).max(1024).optional(),
});

/** A page of a list: its items and the cursor of the next page (null on the last). */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
