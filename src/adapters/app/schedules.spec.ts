import type { SchedulerRegistry } from '@nestjs/schedule';
import pino from 'pino';
import { scheduleJobs } from './schedules.js';

describe('scheduleJobs', () => {
  it('stop() waits for a run under way, and no run starts after it', async () => {
    // given a job every second whose run takes a while
    const registry = { addCronJob: () => undefined } as unknown as SchedulerRegistry;
    const events: string[] = [];
    let started!: () => void;
    const firstStart = new Promise<void>((resolve) => (started = resolve));
    const schedules = scheduleJobs(
      registry,
      [
        {
          name: 'slow',
          cron: '* * * * * *',
          run: async () => {
            events.push('start');
            started();
            await new Promise((r) => setTimeout(r, 300));
            events.push('end');
          },
        },
      ],
      pino({ level: 'silent' }),
    );
    await firstStart;

    // when it is stopped mid-run / then stop resolves only after the run ended
    await schedules.stop();
    expect(events).toEqual(['start', 'end']);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(events).toEqual(['start', 'end']);
  });
});
