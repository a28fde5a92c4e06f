import { z } from 'zod';
import { type Action, CloudApiError, type DropletActionRequest } from '../../../domain/cloud/cloud.port.js';
import { StepError } from '../../../domain/saga/saga-step.js';
import type { DropletStepDeps } from './droplet-step.deps.js';
import { call, stepErrorOf, type Waiting, waiting } from './droplet-step.support.js';

/** A droplet action being polled, or the droplet's other action being waited out: what an action step remembers. */
export const actionMemory = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('action'), actionId: z.number().int().positive(), polls: z.number().int().min(0) }),
  z.object({ phase: z.literal('busy'), polls: z.number().int().min(0) }),
]);
export type ActionMemory = z.infer<typeof actionMemory>;

export const pollingAction = (what: string, actionId: number, polls: number) =>
  waiting<ActionMemory>(0, `${what}: action ${actionId} (poll ${polls})`, { phase: 'action', actionId, polls });

/** The action a waiting step is polling, from its memory, and whether it is done; throws when it errored or took too long. */
export async function pollAction(
  deps: DropletStepDeps,
  memory: { readonly phase: string } | undefined,
  maxPolls = deps.timing.actionMaxPolls,
): Promise<{ actionId: number; poll: number; done: boolean } | null> {
  if (memory?.phase !== 'action') return null;
  const { actionId, polls } = memory as Extract<ActionMemory, { phase: 'action' }>;
  const poll = polls + 1;
  const action = await call('get action', () => deps.cloud.getAction(actionId));
  if (action.status === 'errored') throw new StepError('action_errored', `${action.type} action ${actionId} errored`, false);
  if (action.status === 'completed') return { actionId, poll, done: true };
  if (poll > maxPolls) throw new StepError('action_too_slow', `${action.type} action ${actionId} still in progress after ${maxPolls} polls`, false);
  return { actionId, poll, done: false };
}

/** Waits for the droplet's other action to end, as long as an action of ours may take; then gives up. */
export function whileBusy(deps: DropletStepDeps, memory: { readonly phase: string } | undefined, dropletId: number): Waiting<ActionMemory> {
  const polls = (memory?.phase === 'busy' ? (memory as Extract<ActionMemory, { phase: 'busy' }>).polls : 0) + 1;
  if (polls > deps.timing.actionMaxPolls) throw new StepError('droplet_busy', `droplet ${dropletId} was still busy with another action after ${deps.timing.actionMaxPolls} polls`, false);
  return waiting<ActionMemory>(deps.timing.actionPollMs, `droplet ${dropletId} is busy with another action (poll ${polls})`, { phase: 'busy', polls });
}

/**
 * Posts a droplet action; 'busy' when the droplet is locked by another one (try again later),
 * 'unknown' when the post may have taken effect although it failed.
 */
export async function postAction(deps: DropletStepDeps, dropletId: number, action: DropletActionRequest): Promise<Action | 'busy' | 'unknown'> {
  try {
    return await deps.cloud.dropletAction(dropletId, action);
  } catch (error) {
    if (error instanceof CloudApiError && error.busy) return 'busy';
    if (error instanceof CloudApiError && error.outcomeUnknown) return 'unknown';
    throw stepErrorOf(error, `${action.type} droplet ${dropletId}`);
  }
}
