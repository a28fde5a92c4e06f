import { z } from 'zod';

/**
 * The parts of DigitalOcean's API v2 responses the client reads, derived from its OpenAPI spec
 * (`openapi-v2-subset.json`): only the fields we use, each object loose so new fields pass.
 */

const networkV4 = z.object({ ip_address: z.string(), type: z.string() }).loose();

export const dropletSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    status: z.enum(['new', 'active', 'off', 'archive']),
    locked: z.boolean(),
    created_at: z.string(),
    size_slug: z.string(),
    region: z.object({ slug: z.string() }).loose(),
    image: z.object({ id: z.number().int().optional(), slug: z.string().nullable().optional() }).loose(),
    tags: z.array(z.string()),
    networks: z.object({ v4: z.array(networkV4).optional() }).loose(),
  })
  .loose();
export type DropletBody = z.infer<typeof dropletSchema>;

export const pagesSchema = z
  .object({
    links: z.object({ pages: z.object({ next: z.string().optional() }).loose().optional() }).loose().optional(),
    meta: z.object({ total: z.number().int() }).loose(),
  })
  .loose();

export const dropletEnvelope = z.object({ droplet: dropletSchema }).loose();
export const dropletListEnvelope = pagesSchema.extend({ droplets: z.array(dropletSchema) });

export const actionSchema = z
  .object({
    id: z.number().int(),
    status: z.enum(['in-progress', 'completed', 'errored']),
    type: z.string(),
    resource_id: z.number().int().nullable(),
  })
  .loose();
export const actionEnvelope = z.object({ action: actionSchema }).loose();

/**
 * Where an answer names an action (an action call's `action`, a create's `links.actions`) or a
 * droplet: read for the call's span only, so every part is optional.
 */
export const actionReference = z
  .object({
    action: z.object({ id: z.number().int() }).loose().optional(),
    droplet: z.object({ id: z.number().int() }).loose().optional(),
    links: z.object({ actions: z.array(z.object({ id: z.number().int() }).loose()).optional() }).loose().optional(),
  })
  .loose();

export const snapshotSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    created_at: z.string(),
    regions: z.array(z.string()),
    min_disk_size: z.number(),
    size_gigabytes: z.number(),
  })
  .loose();
export const snapshotListEnvelope = pagesSchema.extend({ snapshots: z.array(snapshotSchema) });

/** `POST /v2/tags` answers the tag with its canonical capitalization (tag names are case stable). */
export const tagEnvelope = z.object({ tag: z.object({ name: z.string() }).loose() }).loose();

export const errorBodySchema = z.object({ id: z.string(), message: z.string(), request_id: z.string().optional() }).loose();
