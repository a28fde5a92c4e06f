import { Body, Controller, Delete, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import type { SagaService } from '../../../application/saga/saga.service.js';
import { DESTROY_DROPLET, PROVISION_DROPLET, SNAPSHOT_DROPLET } from '../../../application/provisioning/droplet.definitions.js';
import { createDropletInput } from '../../../application/provisioning/droplet.steps.js';
import { ApiRoute } from '../api-route.decorator.js';
import { commandContext } from '../command-context.js';
import { SAGA_SERVICE } from '../saga/sagas.controller.js';

const TAGS = ['droplets'];
// digits only: a coerced number would take "1e3", "0x10" or " 12" as an id
const params = z.object({ dropletId: z.string().regex(/^[1-9]\d{0,14}$/, 'must be a positive integer').pipe(z.coerce.number()) });
const accepted = { description: 'accepted: the saga that does it (follow it at /api/v1/sagas/{id})', schema: z.object({ sagaId: z.string() }) };
const provisionBody = z.strictObject(createDropletInput.shape);
// the body is optional: a POST with none snapshots without a label
const snapshotBody = z.strictObject({ label: z.string().min(1).max(255).optional() }).optional();

/** Droplet work as sagas: each route starts one and answers 202 with its id; the workers do the rest. */
@Controller('api/v1/droplets')
export class DropletsController {
  constructor(@Inject(SAGA_SERVICE) private readonly sagas: SagaService) {}

  @Post()
  @HttpCode(202)
  @ApiRoute({
    summary: 'Provision a droplet {name, region, size, image, tags?, sshKeys?}: create, wait until active, register with its spec',
    role: 'operator',
    tags: TAGS,
    body: provisionBody,
    responses: { 202: accepted, 400: { description: 'field issues; nothing is started' } },
  })
  provision(@Body() body: z.infer<typeof provisionBody>): Promise<{ sagaId: string }> {
    return this.sagas.start({ kind: 'provision', definition: PROVISION_DROPLET, inputs: body }, commandContext());
  }

  @Delete(':dropletId')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Destroy a droplet and record its deletion (irreversible)',
    role: 'operator',
    tags: TAGS,
    params,
    responses: { 202: accepted, 400: { description: 'the droplet id is not a positive integer' } },
  })
  destroy(@Param() path: z.infer<typeof params>): Promise<{ sagaId: string }> {
    return this.sagas.start({ kind: 'destroy', definition: DESTROY_DROPLET, inputs: { dropletId: path.dropletId } }, commandContext());
  }

  @Post(':dropletId/snapshots')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Snapshot a droplet {label?}; the snapshot is named cloudledger-snap-<droplet>-<saga8>',
    role: 'operator',
    tags: TAGS,
    params,
    body: snapshotBody,
    responses: { 202: accepted, 400: { description: 'field issues; nothing is started' } },
  })
  snapshot(@Param() path: z.infer<typeof params>, @Body() body: z.infer<typeof snapshotBody>): Promise<{ sagaId: string }> {
    return this.sagas.start({ kind: 'snapshot', definition: SNAPSHOT_DROPLET, inputs: { dropletId: path.dropletId, ...body } }, commandContext());
  }
}
