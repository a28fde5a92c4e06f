/**
 * Before steps had typed memory, the droplet steps kept what a later look needed (poll counts, the
 * action being polled, when a search began) in the free-text note of StepWaiting, and read it back
 * with these patterns. Sagas waiting when that version was replaced still have such notes on their
 * last StepWaiting: the v1 → v2 upcaster turns them into the memory the steps now keep. These
 * patterns are frozen history — the notes of old events, not messages any code writes.
 */

const SEARCH = /looking for a droplet tagged \S+ since (\S+) \(creates: (\d+)\)/;
const POLL = /^poll (\d+):/;
const ACTION = /action (\d+) \(poll (\d+)\)/;
const BUSY = /is busy with another action \(poll (\d+)\)/;
const FIND = /looking for snapshot \S+ \(try (\d+)\)/;
const SNAPSHOT_SEARCH = /looking for snapshot \S+ made earlier, since (\S+)/;

/** The memory a step of the first version meant by its note; null when the note held none. */
export function legacyStepMemory(step: string, note: string): unknown {
  let m: RegExpExecArray | null;
  switch (step) {
    case 'create_droplet':
      m = SEARCH.exec(note);
      return m ? { phase: 'searching', since: m[1], creates: Number(m[2]) } : null;
    case 'wait_droplet_active':
      m = POLL.exec(note);
      return m ? { polls: Number(m[1]) } : null;
    case 'create_droplet_snapshot':
      if ((m = FIND.exec(note))) return { phase: 'finding', tries: Number(m[1]) };
      if ((m = SNAPSHOT_SEARCH.exec(note))) return { phase: 'searching', since: m[1] };
      return actionMemory(note);
    case 'resize_droplet':
      return actionMemory(note);
    default:
      return null;
  }
}

function actionMemory(note: string): unknown {
  let m: RegExpExecArray | null;
  if ((m = ACTION.exec(note))) return { phase: 'action', actionId: Number(m[1]), polls: Number(m[2]) };
  if ((m = BUSY.exec(note))) return { phase: 'busy', polls: Number(m[1]) };
  return null;
}
