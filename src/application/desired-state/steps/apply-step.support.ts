import { z } from 'zod';

/** What an apply is started with: the spec version it was planned against, and the fields it converges (size first). */
export const applyInputs = z.object({
  resourceId: z.string().min(1),
  specVersion: z.number().int().min(1),
  fields: z.array(z.enum(['size_slug', 'tags'])).min(1),
});
