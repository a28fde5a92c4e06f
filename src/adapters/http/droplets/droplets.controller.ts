import { Body, Controller, Delete, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { declaredSpec } from '../../../application/desired-state/declared-spec.js';
import { provisionRequest } from '../../../application/provisioning/droplet.definitions.js';
import { Dispatcher } from '../../dispatch/dispatcher.js';
import { AdoptDroplet, DestroyDroplet, ProvisionDroplet, SnapshotDroplet } from '../../dispatch/droplets.js';
import { ApiRoute } from '../api-route.decorator.js';
import { httpContext } from '../http-context.js';

const TAGS = ['droplets'];
// digits only: a coerced number would take "1e3", "0x10" or " 12" as an id
const params = z.object({ dropletId: z.string().regex(/^[1-9]\d{0,14}$/, 'must be a positive integer').pipe(z.coerce.number()) });
const accepted = { description: 'accepted: the saga that does it (follow it at /api/v1/sagas/{id})', schema: z.object({ sagaId: z.string() }) };
const provisionBody = z.strictObject(provisionRequest.shape);
// the body is optional: a POST with none snapshots without a label
const snapshotBody = z.strictObject({ label: z.string().min(1).max(255).optional() }).optional();
// the body is optional: an adoption without one records the droplet's live state as its spec
const adoptBody = z.strictObject({ spec: declaredSpec.optional() }).optional();
const unmanaged = { description: 'the droplet is not one cloudledger manages, and the caller is not platform_admin; nothing is started' };

/** Droplet work as sagas: each route starts one and answers 202 with its id; the workers do the rest. */
@Controller('api/v1/droplets')
export class DropletsController {
  constructor(@Inject(Dispatcher) private readonly dispatcher: Dispatcher) {}

  @Post()
  @HttpCode(202)
  @ApiRoute({
    summary: 'Provision a droplet {name, region, size, image, tags?, sshKeys?}: create, wait until active, register with its spec',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    body: provisionBody,
    responses: { 202: accepted, 400: { description: 'field issues (a reserved tag among them); nothing is started' } },
  })
  provision(@Body() body: z.infer<typeof provisionBody>): Promise<{ sagaId: string }> {
    return this.dispatcher.command(new ProvisionDroplet(body), httpContext());
  }

  @Delete(':dropletId')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Destroy a droplet and record its deletion (irreversible); an unmanaged droplet needs platform_admin',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    params,
    responses: { 202: accepted, 400: { description: 'the droplet id is not a positive integer' }, 403: unmanaged },
  })
  destroy(@Param() path: z.infer<typeof params>): Promise<{ sagaId: string }> {
    return this.dispatcher.command(new DestroyDroplet(path.dropletId), httpContext());
  }

  @Post(':dropletId/snapshots')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Snapshot a droplet {label?}; the snapshot is named cloudledger-snap-<droplet>-<saga8>; an unmanaged droplet needs platform_admin',
    role: 'operator',
    tags: TAGS,
    idempotent: true,
    params,
    body: snapshotBody,
    responses: { 202: accepted, 400: { description: 'field issues; nothing is started' }, 403: unmanaged },
  })
  snapshot(@Param() path: z.infer<typeof params>, @Body() body: z.infer<typeof snapshotBody>): Promise<{ sagaId: string }> {
    return this.dispatcher.command(new SnapshotDroplet(path.dropletId, body?.label), httpContext());
  }

  @Post(':dropletId/adopt')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Adopt a droplet made outside cloudledger {spec?}: a saga tags it managed-by-cloudledger and records its spec (the one given, or its live size, region and image)',
    role: 'platform_admin',
    tags: TAGS,
    idempotent: true,
    params,
    body: adoptBody,
    responses: {
      202: accepted,
      400: { description: 'field issues; nothing is started' },
      404: { description: 'the droplet is not in the inventory: sync first' },
      409: { description: 'the droplet is managed already' },
    },
  })
  adopt(@Param() path: z.infer<typeof params>, @Body() body: z.infer<typeof adoptBody>): Promise<{ sagaId: string }> {
    return this.dispatcher.command(new AdoptDroplet(path.dropletId, body?.spec), httpContext());
  }
}
