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
 * Registers the periodic jobs with Nest's scheduler (stopped with the app). A run that overlaps
 * another instance's is refused by that job's own lease or revisions, and logged, not thrown.
 */
export function scheduleJobs(registry: SchedulerRegistry, jobs: readonly ScheduledJob[], logger: Logger): void {
  for (const job of jobs) {
    if (job.cron === 'off') {
      logger.info({ job: job.name }, 'scheduled job is off');
      continue;
    }
    const cron = CronJob.from({
      cronTime: job.cron,
      start: false,
      onTick: async () => {
        try {
          logger.info({ job: job.name, result: await job.run() }, 'scheduled job ran');
        } catch (error) {
          if (error instanceof ExpectedError) logger.info({ job: job.name, reason: error.message }, 'scheduled job skipped');
          else logger.error({ job: job.name, err: error }, 'scheduled job failed');
        }
      },
    });
    registry.addCronJob(job.name, cron);
    cron.start();
    logger.info({ job: job.name, cron: job.cron, next: cron.nextDate().toISO() }, 'scheduled job');
  }
}
