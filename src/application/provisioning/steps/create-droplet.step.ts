import { z } from 'zod';
import { CloudApiError, type Droplet } from '../../../domain/cloud/cloud.port.js';
import { MANAGED_TAG, sagaTag } from '../../../domain/inventory/resource.js';
import { type SagaStep, type StepContext, StepError } from '../../../domain/saga/saga-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { call, CLOUD_UNDO_RETRY, keepOldest, stepErrorOf, tagName, waiting } from './droplet-step.support.js';

/** DigitalOcean's own rule (its API spec): a name is a host name. */
const dropletName = z
  .string()
  .max(255)
  .regex(/^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/, 'must be letters, digits, dots and dashes, starting and ending with a letter or digit');

export const createDropletInput = z.object({
  name: dropletName,
  region: z.string().min(1).max(64),
  size: z.string().min(1).max(64),
  image: z.union([z.string().min(1).max(255), z.number().int().positive()]),
  tags: z.array(tagName).max(50).default([]),
  sshKeys: z.array(z.union([z.string().min(1).max(255), z.number().int().positive()])).max(50).default([]),
});
const createDropletOutput = z.object({ dropletId: z.number().int().positive(), name: z.string(), adopted: z.boolean() });
/** While an earlier run may have created the droplet: since when it is looked for, and how many creates got no answer. */
const createDropletMemory = z.object({ phase: z.literal('searching'), since: z.iso.datetime({ offset: true }), creates: z.number().int().min(0) });
type CreateDropletMemory = z.infer<typeof createDropletMemory>;
const searching = (tag: string, since: Date, creates: number) =>
  waiting<CreateDropletMemory>(0, `looking for a droplet tagged ${tag} since ${since.toISOString()} (creates: ${creates})`, { phase: 'searching', since: since.toISOString(), creates });

/**
 * Creates the droplet, tagged with its saga and as managed. Idempotent through the saga tag: when
 * an earlier run may have created it (a retry, a worker that died mid-step, a create whose answer
 * was lost), the step looks for a droplet with the tag — for a grace period, because a new droplet
 * is missing from tag listings for a moment — and adopts it instead of creating a second.
 */
export function createDropletStep(deps: DropletStepDeps): SagaStep<z.infer<typeof createDropletInput>, z.infer<typeof createDropletOutput>, CreateDropletMemory> {
  const { cloud, timing } = deps;
  /**
   * The droplets this saga made: its tag and the name asked for. The tag holds only 8 characters
   * of the saga id, so the name guards against another saga's droplet with the same tag.
   */
  const sagaDroplets = async (ctx: StepContext<z.infer<typeof createDropletInput>, CreateDropletMemory>): Promise<Droplet[]> =>
    (await call('list droplets by saga tag', () => cloud.listDroplets({ tag: sagaTag(ctx.sagaId) }))).filter((d) => d.name === ctx.params.name);
  return {
    name: 'create_droplet',
    input: createDropletInput,
    output: createDropletOutput,
    memory: createDropletMemory,
    retry: { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2 },
    // longer than the client's worst case (retries on 429 wait up to a minute each): a create given up
    // on by the timeout would go on and land after this step had created another
    timeoutMs: 5 * 60_000,
    async execute(ctx) {
      const tag = sagaTag(ctx.sagaId);
      const search = ctx.memory;
      const creates = search?.creates ?? 0;
      if (search || ctx.attempt > 1 || ctx.recovering) {
        const found = await sagaDroplets(ctx);
        if (found.length > 0) return { status: 'done', output: await adopt(found) };
        // recovering: a create may have just been posted by the run that was cut short, so the grace starts again
        const since = search && !ctx.recovering ? new Date(search.since) : ctx.now;
        if (ctx.now.getTime() - since.getTime() < timing.adoptGraceMs) return { ...searching(tag, since, creates), retryAfterMs: timing.adoptPollMs };
        if (creates >= timing.maxCreates) throw new StepError('create_unconfirmed', `${creates} creates got no answer and no droplet tagged ${tag} appeared`, false);
      }
      const { name, region, size, image, tags, sshKeys } = ctx.params;
      try {
        const droplet = await cloud.createDroplet({ name, region, size, image, tags: [...new Set([tag, MANAGED_TAG, ...tags])], ssh_keys: sshKeys });
        return { status: 'done', output: { dropletId: droplet.id, name: droplet.name, adopted: false } };
      } catch (error) {
        // the create may have happened: look for it by its tag before trying again
        if (error instanceof CloudApiError && error.outcomeUnknown) return { ...searching(tag, ctx.now, creates + 1), retryAfterMs: timing.adoptPollMs };
        throw stepErrorOf(error, 'create droplet');
      }
    },
    compensationRetry: { ...CLOUD_UNDO_RETRY, initialDelayMs: 2 * timing.adoptGraceMs },
    async compensate(ctx) {
      const created = createDropletOutput.safeParse(ctx.output(ctx.step));
      const ids = new Set((await sagaDroplets(ctx)).map((d) => d.id));
      if (created.success) ids.add(created.data.dropletId);
      else if (ids.size === 0 && ctx.attempt === 1) {
        // undone while a create's outcome was unknown: it may still show, once tag listings catch up
        throw new StepError('create_unconfirmed', `no droplet tagged ${sagaTag(ctx.sagaId)} yet; looking again after the listing lag`, true);
      }
      for (const id of ids) await call('destroy droplet', () => cloud.destroyDroplet(id));
    },
  };

  /** One droplet per saga: should two carry the tag, the oldest is kept and the others destroyed. */
  async function adopt(found: readonly Droplet[]): Promise<z.infer<typeof createDropletOutput>> {
    const keep = await keepOldest(found, 'destroy duplicate droplet', (id) => cloud.destroyDroplet(id));
    return { dropletId: keep.id, name: keep.name, adopted: true };
  }
}
