import type { ServerDuplexStream, ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import type { BatchAppendReq, BatchAppendResp, ReadReq, ReadResp } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb.js';
import type { DoubleLog, Expected, StoredEvent } from './double-log.js';
import { anyPb, emptyPb, grpc, sharedPb, statusPb, streamsPb, timestampPb } from './protocol.js';

const { ReadResp: ReadRespMessage, BatchAppendResp: BatchAppendRespMessage } = streamsPb;
const Options = streamsPb.ReadReq.Options;

/**
 * A subscription's checkpoint interval is the filter's window times its multiplier; the window is
 * 32 events unless the client sends one (Enumerator.DefaultReadBatchSize in KurrentDB 25.1).
 */
const DEFAULT_WINDOW = 32;

/** What the double tells its owner about each Read call, for tests that count server-side work. */
export interface ReadRecord {
  readonly kind: 'stream' | 'all' | 'subscription';
  readonly filter: string | undefined;
  readonly maxCount: bigint | undefined;
  /** The "requires-leader" header: a node that is not the leader must refuse the read rather than answer stale. */
  readonly requiresLeader: boolean;
  eventsSent: number;
  checkpointsSent: number;
  open: boolean;
}

/** Hooks the server gives the service: faults, and the registry of open calls. */
export interface ServiceHooks {
  /** A status error to end this call with instead of serving it, when a fault is armed. */
  fault(method: 'read' | 'batchAppend'): ServiceError | undefined;
  readonly reads: ReadRecord[];
  /** Live subscriptions, so that the owner can drop them. */
  readonly subscriptions: Set<(error: ServiceError) => void>;
}

export function statusError(code: number, details: string, metadata: Record<string, string> = {}): ServiceError {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: md });
}

/** RpcExceptions.StreamDeleted: FailedPrecondition with the exception named in the trailers. */
function streamDeleted(stream: string): ServiceError {
  return statusError(grpc.status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, { exception: 'stream-deleted', 'stream-name': stream });
}

type Matcher = (event: StoredEvent) => boolean;

/** EventFilter.StreamName / EventType: prefixes or one regex, on the stream name or the event type. */
function toMatcher(filter: ReadReq.Options.FilterOptions | undefined): { matches: Matcher; text: string | undefined } {
  if (!filter) return { matches: () => true, text: undefined };
  const onStream = filter.getFilterCase() === Options.FilterOptions.FilterCase.STREAM_IDENTIFIER;
  const expression = onStream ? filter.getStreamIdentifier()! : filter.getEventType()!;
  const field = (e: StoredEvent): string => (onStream ? e.stream : e.type);
  const regex = expression.getRegex();
  if (regex) {
    const pattern = new RegExp(regex);
    return { matches: (e) => pattern.test(field(e)), text: `${onStream ? 'stream' : 'type'} ~ ${regex}` };
  }
  const prefixes = expression.getPrefixList();
  return { matches: (e) => prefixes.some((p) => field(e).startsWith(p)), text: `${onStream ? 'stream' : 'type'} ^ ${prefixes.join('|')}` };
}

function toRecordedEvent(event: StoredEvent, structuredIds: boolean): ReadResp.ReadEvent.RecordedEvent {
  const recorded = new ReadRespMessage.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  if (structuredIds) {
    const hex = event.id.replace(/-/g, '');
    const structured = new sharedPb.UUID.Structured();
    structured.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
    structured.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
    id.setStructured(structured);
  } else {
    id.setString(event.id);
  }
  recorded.setId(id);
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(event.stream, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(event.revision.toString());
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  // MetadataHelpers.AddGrpcMetadataFrom: the type, the content type and "created" in ticks
  recorded.getMetadataMap().set('type', event.type);
  recorded.getMetadataMap().set('content-type', event.contentType);
  recorded.getMetadataMap().set('created', event.created.toString());
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.metadata);
  return recorded;
}

function eventMessage(event: StoredEvent, structuredIds: boolean, withCommitPosition: boolean): ReadResp {
  const read = new ReadRespMessage.ReadEvent();
  read.setEvent(toRecordedEvent(event, structuredIds));
  if (withCommitPosition) read.setCommitPosition(event.position.toString());
  else read.setNoPosition(new sharedPb.Empty());
  const response = new ReadRespMessage();
  response.setEvent(read);
  return response;
}

function checkpointMessage(position: bigint): ReadResp {
  const checkpoint = new ReadRespMessage.Checkpoint();
  checkpoint.setCommitPosition(position.toString());
  checkpoint.setPreparePosition(position.toString());
  checkpoint.setTimestamp(timestampPb.Timestamp.fromDate(new Date()));
  const response = new ReadRespMessage();
  response.setCheckpoint(checkpoint);
  return response;
}

/** Writes one message, waiting while HTTP/2 flow control holds the stream back; false once the call ended. */
async function send(call: ServerWritableStream<ReadReq, ReadResp>, message: ReadResp): Promise<boolean> {
  if (call.cancelled || call.destroyed) return false;
  if (call.write(message)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => () => {
      call.off('drain', onDrain);
      call.off('cancelled', onEnd);
      call.off('close', onEnd);
      resolve(ok);
    };
    const onDrain = done(true);
    const onEnd = done(false);
    call.once('drain', onDrain);
    call.once('cancelled', onEnd);
    call.once('close', onEnd);
  });
}

export function streamsService(log: DoubleLog, hooks: ServiceHooks) {
  return {
    read(call: ServerWritableStream<ReadReq, ReadResp>): void {
      void serveRead(log, hooks, call).catch((error: unknown) => call.emit('error', statusError(grpc.status.INTERNAL, String(error))));
    },
    batchAppend(call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
      serveBatchAppend(log, hooks, call);
    },
  };
}

async function serveRead(log: DoubleLog, hooks: ServiceHooks, call: ServerWritableStream<ReadReq, ReadResp>): Promise<void> {
  const fault = hooks.fault('read');
  if (fault) return void call.emit('error', fault);
  const options = call.request.getOptions();
  if (!options?.getUuidOption()) return void call.emit('error', statusError(grpc.status.INVALID_ARGUMENT, 'Required argument uuidOption'));
  const structuredIds = options.getUuidOption()!.getContentCase() === Options.UUIDOption.ContentCase.STRUCTURED;
  const backwards = options.getReadDirection() === Options.ReadDirection.BACKWARDS;
  const { matches, text } = toMatcher(options.getFilterOptionCase() === Options.FilterOptionCase.FILTER ? options.getFilter() : undefined);
  const subscription = options.getCountOptionCase() === Options.CountOptionCase.SUBSCRIPTION;
  const record: ReadRecord = {
    kind: subscription ? 'subscription' : options.getStreamOptionCase() === Options.StreamOptionCase.ALL ? 'all' : 'stream',
    filter: text,
    maxCount: subscription ? undefined : BigInt(options.getCount()),
    requiresLeader: call.metadata.get('requires-leader')[0] === 'true',
    eventsSent: 0,
    checkpointsSent: 0,
    open: true,
  };
  hooks.reads.push(record);
  call.once('close', () => (record.open = false));
  call.once('cancelled', () => (record.open = false));
  try {
    if (record.kind === 'stream') {
      await readStream(log, call, options, record, structuredIds, backwards);
    } else if (record.kind === 'all') {
      await readAll(log, call, options, record, structuredIds, backwards, matches);
    } else {
      if (options.getStreamOptionCase() !== Options.StreamOptionCase.ALL || backwards) {
        throw statusError(grpc.status.INVALID_ARGUMENT, 'the double serves subscriptions to $all, forwards');
      }
      await subscribeToAll(log, hooks, call, options, record, structuredIds, matches);
    }
    if (!call.cancelled && !call.destroyed) call.end();
  } catch (error) {
    call.emit('error', error as ServiceError);
  } finally {
    record.open = false;
  }
}

async function readStream(
  log: DoubleLog,
  call: ServerWritableStream<ReadReq, ReadResp>,
  options: ReadReq.Options,
  record: ReadRecord,
  structuredIds: boolean,
  backwards: boolean,
): Promise<void> {
  const streamOptions = options.getStream()!;
  const stream = Buffer.from(streamOptions.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
  if (log.isTombstoned(stream)) throw streamDeleted(stream);
  const events = log.streamEvents(stream);
  if (!events || events.length === 0) {
    const notFound = new ReadRespMessage.StreamNotFound();
    notFound.setStreamIdentifier(streamOptions.getStreamIdentifier());
    const response = new ReadRespMessage();
    response.setStreamNotFound(notFound);
    await send(call, response);
    return;
  }
  const last = events.length - 1;
  const Case = Options.StreamOptions.RevisionOptionCase;
  const from =
    streamOptions.getRevisionOptionCase() === Case.START ? 0 : streamOptions.getRevisionOptionCase() === Case.END ? (backwards ? last : events.length) : Number(streamOptions.getRevision());
  let remaining = record.maxCount!;
  for (let i = backwards ? Math.min(from, last) : from; remaining > 0n && (backwards ? i >= 0 : i <= last); backwards ? i-- : i++) {
    if (!(await send(call, eventMessage(events[i]!, structuredIds, false)))) return;
    record.eventsSent++;
    remaining--;
  }
  if ((options.getControlOption()?.getCompatibility() ?? 0) >= 1) {
    const response = new ReadRespMessage();
    response.setLastStreamPosition(String(last));
    await send(call, response);
  }
}

/** $all from a position: forwards inclusive of it, backwards exclusive (AllReader's TFPos comparisons). */
async function readAll(
  log: DoubleLog,
  call: ServerWritableStream<ReadReq, ReadResp>,
  options: ReadReq.Options,
  record: ReadRecord,
  structuredIds: boolean,
  backwards: boolean,
  matches: Matcher,
): Promise<void> {
  const all = options.getAll()!;
  const Case = Options.AllOptions.AllOptionCase;
  let index: number;
  if (all.getAllOptionCase() === Case.START) index = backwards ? -1 : 0;
  else if (all.getAllOptionCase() === Case.END) index = backwards ? log.events.length - 1 : log.events.length;
  else {
    const at = log.indexAtOrAfter(BigInt(all.getPosition()!.getPreparePosition()));
    index = backwards ? at - 1 : at;
  }
  let remaining = record.maxCount!;
  // the read sees the log as it is now, as a real read pages through what is committed
  const end = log.events.length;
  for (; remaining > 0n && index >= 0 && index < end; backwards ? index-- : index++) {
    const event = log.events[index]!;
    if (!matches(event)) continue;
    if (!(await send(call, eventMessage(event, structuredIds, true)))) return;
    record.eventsSent++;
    remaining--;
  }
}

/**
 * Enumerator.AllSubscriptionFiltered: a confirmation, the catch-up with a checkpoint every
 * `interval` events considered (matching or not) and one when it reaches the end, a caught-up
 * message, then live events and live checkpoints on the same interval. The start position is
 * exclusive. The double never sends fell-behind (25.1 does not send it to clients either).
 */
async function subscribeToAll(
  log: DoubleLog,
  hooks: ServiceHooks,
  call: ServerWritableStream<ReadReq, ReadResp>,
  options: ReadReq.Options,
  record: ReadRecord,
  structuredIds: boolean,
  matches: Matcher,
): Promise<void> {
  const filter = options.getFilterOptionCase() === Options.FilterOptionCase.FILTER ? options.getFilter() : undefined;
  const window = filter?.getWindowCase() === Options.FilterOptions.WindowCase.MAX ? filter.getMax() : DEFAULT_WINDOW;
  const interval = filter ? window * Math.max(1, filter.getCheckpointintervalmultiplier()) : Number.POSITIVE_INFINITY;

  const all = options.getAll()!;
  const Case = Options.AllOptions.AllOptionCase;
  let index =
    all.getAllOptionCase() === Case.START
      ? 0
      : all.getAllOptionCase() === Case.END
        ? log.events.length
        : (() => {
            const after = BigInt(all.getPosition()!.getPreparePosition());
            const at = log.indexAtOrAfter(after);
            return log.events[at]?.position === after ? at + 1 : at;
          })();

  let wake: (() => void) | undefined;
  let dropped: ServiceError | undefined;
  const stopListening = log.onAppend(() => wake?.());
  const drop = (error: ServiceError): void => {
    dropped = error;
    wake?.();
  };
  hooks.subscriptions.add(drop);
  const ended = new Promise<void>((resolve) => {
    call.once('cancelled', resolve);
    call.once('close', resolve);
  });
  ended.then(() => wake?.(), () => undefined);
  try {
    const confirmation = new ReadRespMessage();
    const confirmed = new ReadRespMessage.SubscriptionConfirmation();
    confirmed.setSubscriptionId(crypto.randomUUID());
    confirmation.setConfirmation(confirmed);
    if (!(await send(call, confirmation))) return;

    let considered = 0;
    let lastConsidered: bigint | undefined;
    let lastCheckpoint: bigint | undefined;
    let caughtUp = false;
    for (;;) {
      while (index < log.events.length) {
        if (dropped) throw dropped;
        const event = log.events[index++]!;
        lastConsidered = event.position;
        if (matches(event)) {
          if (!(await send(call, eventMessage(event, structuredIds, true)))) return;
          record.eventsSent++;
        }
        if (++considered >= interval) {
          considered = 0;
          if (!(await send(call, checkpointMessage(event.position)))) return;
          record.checkpointsSent++;
          lastCheckpoint = event.position;
        }
      }
      if (!caughtUp) {
        if (filter && lastConsidered !== undefined && lastConsidered !== lastCheckpoint) {
          if (!(await send(call, checkpointMessage(lastConsidered)))) return;
          record.checkpointsSent++;
          lastCheckpoint = lastConsidered;
        }
        const caught = new ReadRespMessage.CaughtUp();
        caught.setTimestamp(timestampPb.Timestamp.fromDate(new Date()));
        if (lastConsidered !== undefined) {
          const position = new ReadRespMessage.Position();
          position.setCommitPosition(lastConsidered.toString());
          position.setPreparePosition(lastConsidered.toString());
          caught.setPosition(position);
        }
        const response = new ReadRespMessage();
        response.setCaughtUp(caught);
        if (!(await send(call, response))) return;
        caughtUp = true;
      }
      if (dropped) throw dropped;
      if (call.cancelled || call.destroyed) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (call.cancelled || call.destroyed) return;
    }
  } finally {
    stopListening();
    hooks.subscriptions.delete(drop);
  }
}

function toExpected(options: BatchAppendReq.Options): Expected {
  const Case = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;
  switch (options.getExpectedStreamPositionCase()) {
    case Case.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case Case.NO_STREAM:
      return { kind: 'no_stream' };
    case Case.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function errorStatus(code: number, message: string, detail: { serializeBinary(): Uint8Array }, typeName: string): InstanceType<typeof statusPb.Status> {
  const status = new statusPb.Status();
  status.setCode(code);
  status.setMessage(message);
  const any = new anyPb.Any();
  any.pack(detail.serializeBinary(), typeName);
  status.setDetails(any);
  return status;
}

interface PendingAppend {
  readonly stream: string;
  readonly identifier: InstanceType<typeof sharedPb.StreamIdentifier>;
  readonly expected: Expected;
  readonly events: { id: string; type: string; contentType: string; data: Uint8Array; metadata: Uint8Array }[];
  readonly deadline: Date | undefined;
}

/**
 * Streams.BatchAppend: requests and answers matched by correlation id on one long-lived call; an
 * append may span several requests until one says is_final. Errors travel as google.rpc.Status
 * with KurrentDB's detail messages (Status.cs in KurrentDB 25.1).
 */
function serveBatchAppend(log: DoubleLog, hooks: ServiceHooks, call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  const fault = hooks.fault('batchAppend');
  if (fault) return void call.emit('error', fault);
  const pending = new Map<string, PendingAppend>();
  call.on('error', () => undefined);
  call.on('end', () => call.end());
  call.on('data', (request: BatchAppendReq) => {
    const failure = hooks.fault('batchAppend');
    if (failure) return void call.emit('error', failure);
    const correlation = request.getCorrelationId()!;
    const key = correlation.getString();
    const options = request.getOptions();
    if (options) {
      const identifier = options.getStreamIdentifier()!;
      const deadline = options.getDeadline21100()?.toDate();
      pending.set(key, {
        stream: Buffer.from(identifier.getStreamName_asU8()).toString('utf8'),
        identifier,
        expected: toExpected(options),
        events: [],
        deadline,
      });
    }
    const append = pending.get(key);
    if (!append) return;
    for (const message of request.getProposedMessagesList()) {
      append.events.push({
        id: message.getId()!.getString(),
        type: message.getMetadataMap().get('type') ?? '',
        contentType: message.getMetadataMap().get('content-type') ?? 'application/octet-stream',
        data: message.getData_asU8(),
        metadata: message.getCustomMetadata_asU8(),
      });
    }
    if (!request.getIsFinal()) return;
    pending.delete(key);

    const response = new BatchAppendRespMessage();
    response.setCorrelationId(correlation);
    response.setStreamIdentifier(append.identifier);
    if (append.deadline && append.deadline.getTime() <= Date.now()) {
      response.setError(errorStatus(grpc.status.DEADLINE_EXCEEDED, 'Timeout', new sharedPb.Timeout(), 'event_store.client.Timeout'));
      call.write(response);
      return;
    }
    const outcome = log.append(append.stream, append.expected, append.events);
    switch (outcome.kind) {
      case 'written':
      case 'idempotent': {
        const success = new BatchAppendRespMessage.Success();
        if (outcome.revision >= 0n) success.setCurrentRevision(outcome.revision.toString());
        else success.setNoStream(new emptyPb.Empty());
        const position = new sharedPb.AllStreamPosition();
        position.setCommitPosition(outcome.position.toString());
        position.setPreparePosition(outcome.position.toString());
        success.setPosition(position);
        response.setSuccess(success);
        break;
      }
      case 'wrong_expected_version': {
        const detail = new sharedPb.WrongExpectedVersion();
        if (outcome.current >= 0n) detail.setCurrentStreamRevision(outcome.current.toString());
        else detail.setCurrentNoStream(new emptyPb.Empty());
        const expected = append.expected;
        if (expected.kind === 'revision') detail.setExpectedStreamPosition(expected.revision.toString());
        else if (expected.kind === 'no_stream') detail.setExpectedNoStream(new emptyPb.Empty());
        else if (expected.kind === 'stream_exists') detail.setExpectedStreamExists(new emptyPb.Empty());
        else detail.setExpectedAny(new emptyPb.Empty());
        response.setError(errorStatus(grpc.status.ALREADY_EXISTS, 'WrongExpectedVersion', detail, 'event_store.client.WrongExpectedVersion'));
        break;
      }
      case 'stream_deleted': {
        const detail = new sharedPb.StreamDeleted();
        detail.setStreamIdentifier(append.identifier);
        response.setError(errorStatus(grpc.status.NOT_FOUND, 'StreamDeleted', detail, 'event_store.client.StreamDeleted'));
        break;
      }
      case 'max_append_size_exceeded': {
        const detail = new sharedPb.MaximumAppendSizeExceeded();
        detail.setMaxappendsize(outcome.maxAppendSize);
        response.setError(errorStatus(grpc.status.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', detail, 'event_store.client.MaximumAppendSizeExceeded'));
        break;
      }
      default: {
        const exhaustive: never = outcome;
        throw new Error(`unhandled append outcome ${String(exhaustive)}`);
      }
    }
    call.write(response);
  });
}
