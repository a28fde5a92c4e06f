import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { Logger } from 'pino';
import { ExpectedError } from '../../domain/errors.js';

export interface ScheduledJob {
  readonly name: string;
  /** Six-field cron (seconds first), or `off`. */
  readonly cron: string;
  run(): Promise<unknown>;
}

/**
 * Registers the periodic jobs with Nest's scheduler. A run that overlaps another instance's is
 * refused by that job's own lease (the sync) or expected revisions (detection), and logged, not
 * thrown. `stop()` stops the jobs and waits for a run under way, so shutdown closes nothing under it.
 */
export function scheduleJobs(registry: SchedulerRegistry, jobs: readonly ScheduledJob[], logger: Logger): { stop(): Promise<void> } {
  const crons: CronJob[] = [];
  const running = new Set<Promise<void>>();
  for (const job of jobs) {
    if (job.cron === 'off') {
      logger.info({ job: job.name }, 'scheduled job is off');
      continue;
    }
    const tick = async (): Promise<void> => {
      try {
        logger.info({ job: job.name, result: await job.run() }, 'scheduled job ran');
      } catch (error) {
        if (error instanceof ExpectedError) logger.info({ job: job.name, reason: error.message }, 'scheduled job skipped');
        else logger.error({ job: job.name, err: error }, 'scheduled job failed');
      }
    };
    const cron = CronJob.from({
      cronTime: job.cron,
      start: false,
      onTick: () => {
        const run = tick().finally(() => running.delete(run));
        running.add(run);
        return run;
      },
    });
    registry.addCronJob(job.name, cron);
    crons.push(cron);
    cron.start();
    logger.info({ job: job.name, cron: job.cron, next: cron.nextDate().toISO() }, 'scheduled job');
  }
  return {
    async stop() {
      for (const cron of crons) void cron.stop();
      await Promise.all(running);
    },
  };
}
