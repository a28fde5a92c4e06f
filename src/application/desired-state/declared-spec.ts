import { z } from 'zod';
import { isReservedTag, MANAGED_TAG, RESERVED_TAG_PREFIX } from '../../domain/inventory/resource.js';
import { tagName } from '../provisioning/steps/droplet-step.support.js';

/**
 * A desired spec as a caller declares it (PUT /specs/:id, an adoption's body): the whole spec, which
 * replaces the one recorded. The fields a droplet's drift is judged on; `tags` are the team's tags,
 * never cloudledger's own (those it keeps by itself).
 */
export const declaredSpec = z
  .strictObject({
    size_slug: z.string().min(1).max(64).optional(),
    region: z.string().min(1).max(64).optional(),
    image: z.string().min(1).max(128).optional(),
    tags: z
      .array(tagName.refine((tag) => !isReservedTag(tag), `is reserved: ${MANAGED_TAG} and ${RESERVED_TAG_PREFIX}* tags are kept by cloudledger, not declared`))
      .max(50)
      .refine((tags) => new Set(tags).size === tags.length, 'must not repeat a tag')
      .optional(),
  })
  .refine((spec) => Object.keys(spec).length > 0, 'declare at least one field: size_slug, region, image or tags');
export type DeclaredSpec = z.infer<typeof declaredSpec>;
