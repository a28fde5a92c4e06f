import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ApiRoute } from '../api-route.decorator.js';
import { LIVE_CATEGORIES, type LiveFilter, LiveEvents } from './live-events.js';

const streamQuery = z
  .strictObject({
    category: z.enum(LIVE_CATEGORIES).optional(),
    stream: z
      .string()
      .max(300)
      .regex(new RegExp(`^(${LIVE_CATEGORIES.join('|')})-[^\\p{Cc}]+$`, 'u'), `must be a stream of one of ${LIVE_CATEGORIES.join(', ')} (e.g. saga-<id>)`)
      .optional(),
  })
  .refine((q) => (q.category === undefined) !== (q.stream === undefined), 'give either category or stream');

@Controller('api/v1/events')
export class EventsController {
  constructor(@Inject(LiveEvents) private readonly live: LiveEvents) {}

  @Get('stream')
  @ApiRoute({
    summary:
      'Live events, as server-sent events (text/event-stream), from the moment of connection: a whole category (?category=saga) or one stream (?stream=saga-<id>). Each message: id (log position), event (type), data {stream, revision, type, recordedAt, actor, data}; a comment every 15 s keeps it open. Read it with fetch (EventSource cannot send the Authorization header)',
    role: 'viewer',
    tags: ['events'],
    query: streamQuery,
    responses: {
      200: { description: 'the event stream; it ends when the server shuts down (reconnect)' },
      400: { description: 'neither or both of category and stream, or a category not followed live' },
      503: { description: 'too many live streams are open on this instance' },
    },
  })
  async stream(@Query() query: z.infer<typeof streamQuery>, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.live.serve(query as LiveFilter, request, response);
  }
}
