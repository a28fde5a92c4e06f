/**
 * The PostgreSQL event store's tables and its append function. Applied by a migration.
 *
 * Appends lock the stream with a transaction-scoped advisory lock, which — unlike a row lock —
 * assigns no transaction id while waiting. The appender's xid is therefore assigned only once it
 * holds the stream, after the previous holder committed, so within a stream the transaction ids
 * follow the revisions and a subscriber ordering by (transaction_id, global_position) delivers each
 * stream in revision order. This holds while the append is the first write of its transaction,
 * which is how the adapter calls it.
 *
 * The function does not NOTIFY: a notifying transaction takes a database-wide lock at commit,
 * which serialises commits (and their WAL flushes) and halved append throughput when measured.
 * The adapter sends one coalesced NOTIFY after appends instead (PostgresNotifier.announce).
 */
export const STREAM_LOCK_NAMESPACE = 1;

export const EVENT_STORE_CHANNEL = 'cloudledger_events';

/** Sentinels for the non-numeric expected revisions, passed to append_events as bigint. */
export const EXPECTED_NO_STREAM = -1n;
export const EXPECTED_ANY = -2n;
export const EXPECTED_STREAM_EXISTS = -3n;

/** SQLSTATE raised by append_events on a wrong expected revision; DETAIL holds the actual one. */
export const WRONG_EXPECTED_REVISION_SQLSTATE = 'CL409';

export const EVENT_STORE_SCHEMA_SQL = `
create table streams (
  stream text primary key,
  revision bigint not null
);

create table events (
  global_position bigserial primary key,
  transaction_id xid8 not null default pg_current_xact_id(),
  stream text not null,
  revision bigint not null,
  event_id uuid not null,
  type text not null,
  data jsonb not null,
  metadata jsonb not null,
  recorded_at timestamptz not null default clock_timestamp(),
  constraint events_event_id_key unique (event_id),
  constraint events_stream_revision_key unique (stream, revision)
);

create index events_transaction_order on events (transaction_id, global_position);

create function append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) returns table (next_revision bigint, transaction_id xid8, global_position bigint)
language plpgsql as $fn$
declare
  v_count int := coalesce(cardinality(p_ids), 0);
  v_current bigint;
  v_first bigint;
  v_last bigint;
begin
  perform pg_advisory_xact_lock(${STREAM_LOCK_NAMESPACE}, hashtext(p_stream));
  select s.revision into v_current from streams s where s.stream = p_stream;
  v_current := coalesce(v_current, -1);

  if p_expected = ${EXPECTED_ANY} or (p_expected = ${EXPECTED_STREAM_EXISTS} and v_current >= 0) or p_expected = v_current then
    if p_expected < -1 and v_count > 0 then
      -- a retried append without a revision: its first id already in this stream makes it a no-op
      select e.revision into v_first from events e where e.event_id = p_ids[1] and e.stream = p_stream;
      if found then
        return query select e.revision, e.transaction_id, e.global_position from events e
          where e.stream = p_stream and e.revision = v_first + v_count - 1;
        return;
      end if;
    end if;
    if v_count = 0 then
      return query select v_current, pg_current_xact_id(), 0::bigint;
      return;
    end if;
    with inserted as (
      insert into events (stream, revision, event_id, type, data, metadata)
      select p_stream, v_current + u.ord, u.id, u.type, u.data, u.metadata
      from unnest(p_ids, p_types, p_data, p_metadata) with ordinality as u(id, type, data, metadata, ord)
      returning events.global_position
    )
    select max(inserted.global_position) into v_last from inserted;
    insert into streams as s (stream, revision) values (p_stream, v_current + v_count)
      on conflict (stream) do update set revision = excluded.revision;
    return query select v_current + v_count, pg_current_xact_id(), v_last;
    return;
  end if;

  -- a retry of an append that succeeded: the same ids stand right after the expected revision
  if p_expected >= -1 and v_count > 0 and (
    select count(*) from events e
    join unnest(p_ids) with ordinality as u(id, ord) on e.event_id = u.id
    where e.stream = p_stream and e.revision = p_expected + u.ord
  ) = v_count then
    return query select e.revision, e.transaction_id, e.global_position from events e
      where e.stream = p_stream and e.revision = p_expected + v_count;
    return;
  end if;

  raise exception using
    errcode = '${WRONG_EXPECTED_REVISION_SQLSTATE}',
    message = format('wrong expected revision on %s', p_stream),
    detail = v_current::text;
end
$fn$;
`;

export const DROP_EVENT_STORE_SCHEMA_SQL = `
drop function if exists append_events(text, bigint, uuid[], text[], jsonb[], jsonb[]);
drop function if exists append_events_locked(text, bigint, uuid[], text[], jsonb[], jsonb[]);
drop table if exists events;
drop table if exists streams;
`;

/**
 * Appends to many streams in one transaction (migration 20261201000000). The body of
 * append_events moves into append_events_locked, which expects the stream's lock held, answers
 * exactly one row, and reports a wrong expected revision in it (actual_revision set, next_revision
 * null) instead of raising. append_events raises from that row; append_events_batch reports it per
 * stream, and writes a batch of distinct streams that are all as expected in one insert per table.
 * The batch takes every stream's lock first — in one order, so two batches never wait on
 * each other in a cycle, and before its first write, so its transaction id still follows each
 * stream's earlier appends.
 */
export const EVENT_STORE_BATCH_APPEND_SQL = `
create or replace function append_events_locked(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) returns table (next_revision bigint, transaction_id xid8, global_position bigint, actual_revision bigint)
language plpgsql as $fn$
declare
  v_count int := coalesce(cardinality(p_ids), 0);
  v_current bigint;
  v_first bigint;
  v_last bigint;
begin
  select s.revision into v_current from streams s where s.stream = p_stream;
  v_current := coalesce(v_current, -1);

  if p_expected = ${EXPECTED_ANY} or (p_expected = ${EXPECTED_STREAM_EXISTS} and v_current >= 0) or p_expected = v_current then
    if p_expected < -1 and v_count > 0 then
      -- a retried append without a revision: its first id already in this stream makes it a no-op
      select e.revision into v_first from events e where e.event_id = p_ids[1] and e.stream = p_stream;
      if found then
        return query select e.revision, e.transaction_id, e.global_position, null::bigint from events e
          where e.stream = p_stream and e.revision = v_first + v_count - 1;
        -- no event that far: the ids were not appended together, and the insert below says so
        if found then
          return;
        end if;
      end if;
    end if;
    if v_count = 0 then
      return query select v_current, pg_current_xact_id(), 0::bigint, null::bigint;
      return;
    end if;
    with inserted as (
      insert into events (stream, revision, event_id, type, data, metadata)
      select p_stream, v_current + u.ord, u.id, u.type, u.data, u.metadata
      from unnest(p_ids, p_types, p_data, p_metadata) with ordinality as u(id, type, data, metadata, ord)
      returning events.global_position
    )
    select max(inserted.global_position) into v_last from inserted;
    insert into streams as s (stream, revision) values (p_stream, v_current + v_count)
      on conflict (stream) do update set revision = excluded.revision;
    return query select v_current + v_count, pg_current_xact_id(), v_last, null::bigint;
    return;
  end if;

  -- a retry of an append that succeeded: the same ids stand right after the expected revision
  if p_expected >= -1 and v_count > 0 and (
    select count(*) from events e
    join unnest(p_ids) with ordinality as u(id, ord) on e.event_id = u.id
    where e.stream = p_stream and e.revision = p_expected + u.ord
  ) = v_count then
    return query select e.revision, e.transaction_id, e.global_position, null::bigint from events e
      where e.stream = p_stream and e.revision = p_expected + v_count;
    return;
  end if;

  return query select null::bigint, null::xid8, null::bigint, v_current;
end
$fn$;

create or replace function append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) returns table (next_revision bigint, transaction_id xid8, global_position bigint)
language plpgsql as $fn$
declare
  v_result record;
begin
  perform pg_advisory_xact_lock(${STREAM_LOCK_NAMESPACE}, hashtext(p_stream));
  select * into v_result from append_events_locked(p_stream, p_expected, p_ids, p_types, p_data, p_metadata);
  if v_result.next_revision is null then
    raise exception using
      errcode = '${WRONG_EXPECTED_REVISION_SQLSTATE}',
      message = format('wrong expected revision on %s', p_stream),
      detail = v_result.actual_revision::text;
  end if;
  return query select v_result.next_revision, v_result.transaction_id, v_result.global_position;
end
$fn$;

create or replace function append_events_batch(
  p_streams text[], p_expected bigint[], p_counts int[], p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) returns table (next_revision bigint, transaction_id xid8, global_position bigint, actual_revision bigint)
language plpgsql as $fn$
declare
  v_key int;
  v_from int := 1;
  v_to int;
  v_as_expected boolean;
begin
  for v_key in select distinct hashtext(s) from unnest(p_streams) s order by 1 loop
    perform pg_advisory_xact_lock(${STREAM_LOCK_NAMESPACE}, v_key);
  end loop;

  -- the common case, in one statement per table: distinct streams, each with events and at the
  -- revision expected (or missing where no_stream is expected), so none is a conflict or a retry
  select coalesce(bool_and(u.expected >= -1 and u.expected = coalesce(s.revision, -1) and u.count > 0), true)
         and count(distinct u.stream) = count(*)
    into v_as_expected
    from unnest(p_streams, p_expected, p_counts) as u(stream, expected, count)
    left join streams s on s.stream = u.stream;
  if v_as_expected then
    return query
      with appends as (
        select u.stream, u.expected, u.count, u.ord, sum(u.count) over (order by u.ord) - u.count as before
          from unnest(p_streams, p_expected, p_counts) with ordinality as u(stream, expected, count, ord)
      ), inserted as (
        insert into events (stream, revision, event_id, type, data, metadata)
        select a.stream, a.expected + e.n, p_ids[a.before + e.n], p_types[a.before + e.n], p_data[a.before + e.n], p_metadata[a.before + e.n]
          from appends a cross join lateral generate_series(1, a.count) as e(n)
         order by a.ord, e.n
        returning events.stream, events.global_position
      ), advanced as (
        insert into streams as s (stream, revision) select a.stream, a.expected + a.count from appends a
          on conflict (stream) do update set revision = excluded.revision
      )
      select a.expected + a.count, pg_current_xact_id(), max(i.global_position), null::bigint
        from appends a join inserted i on i.stream = a.stream
       group by a.ord, a.expected, a.count
       order by a.ord;
    return;
  end if;

  for i in 1 .. coalesce(cardinality(p_streams), 0) loop
    v_to := v_from + p_counts[i] - 1;
    return query select * from append_events_locked(
      p_streams[i], p_expected[i], p_ids[v_from:v_to], p_types[v_from:v_to], p_data[v_from:v_to], p_metadata[v_from:v_to]);
    v_from := v_to + 1;
  end loop;
end
$fn$;
`;

/** Leaves append_events on append_events_locked (the same behaviour; up replaces both again), dropped with the tables. */
export const DROP_EVENT_STORE_BATCH_APPEND_SQL = `
drop function if exists append_events_batch(text[], bigint[], int[], uuid[], text[], jsonb[], jsonb[]);
`;

/**
 * Cheaper appends (migration 20261206000000), measured with pg_stat_statements under bench:sagas:
 * - append_events does the common case itself — events at the revision expected, or a new stream
 *   where no_stream is expected — instead of through append_events_locked (a table function call
 *   whose result is materialised) and a RETURN QUERY; the rest (any, stream_exists, a retry, a
 *   wrong revision) still goes through append_events_locked;
 * - append_events_batch runs on generic plans: left to choose, PostgreSQL planned its two
 *   statements afresh on every call, and planning cost more than running them. Its check that
 *   every append is as expected looks each stream up by its key, a plan that fits any batch size.
 * Down is migration 20261201000000's up again (CREATE OR REPLACE resets the SET clause too).
 */
export const EVENT_STORE_LEAN_APPEND_SQL = `
create or replace function append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) returns table (next_revision bigint, transaction_id xid8, global_position bigint)
language plpgsql as $fn$
declare
  v_count int := coalesce(cardinality(p_ids), 0);
  v_current bigint;
  v_last bigint;
  v_result record;
begin
  perform pg_advisory_xact_lock(${STREAM_LOCK_NAMESPACE}, hashtext(p_stream));
  if p_expected >= -1 and v_count > 0 then
    select s.revision into v_current from streams s where s.stream = p_stream;
    if coalesce(v_current, -1) = p_expected then
      with inserted as (
        insert into events (stream, revision, event_id, type, data, metadata)
        select p_stream, p_expected + u.ord, u.id, u.type, u.data, u.metadata
        from unnest(p_ids, p_types, p_data, p_metadata) with ordinality as u(id, type, data, metadata, ord)
        returning events.global_position
      )
      select max(inserted.global_position) into v_last from inserted;
      insert into streams as s (stream, revision) values (p_stream, p_expected + v_count)
        on conflict (stream) do update set revision = excluded.revision;
      next_revision := p_expected + v_count;
      transaction_id := pg_current_xact_id();
      global_position := v_last;
      return next;
      return;
    end if;
  end if;
  select * into v_result from append_events_locked(p_stream, p_expected, p_ids, p_types, p_data, p_metadata);
  if v_result.next_revision is null then
    raise exception using
      errcode = '${WRONG_EXPECTED_REVISION_SQLSTATE}',
      message = format('wrong expected revision on %s', p_stream),
      detail = v_result.actual_revision::text;
  end if;
  next_revision := v_result.next_revision;
  transaction_id := v_result.transaction_id;
  global_position := v_result.global_position;
  return next;
end
$fn$;

create or replace function append_events_batch(
  p_streams text[], p_expected bigint[], p_counts int[], p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
) returns table (next_revision bigint, transaction_id xid8, global_position bigint, actual_revision bigint)
language plpgsql
set plan_cache_mode = force_generic_plan
as $fn$
declare
  v_key int;
  v_from int := 1;
  v_to int;
  v_as_expected boolean;
begin
  for v_key in select distinct hashtext(s) from unnest(p_streams) s order by 1 loop
    perform pg_advisory_xact_lock(${STREAM_LOCK_NAMESPACE}, v_key);
  end loop;

  -- the common case, in one statement per table: distinct streams, each with events and at the
  -- revision expected (or missing where no_stream is expected), so none is a conflict or a retry
  select coalesce(bool_and(u.expected >= -1 and u.count > 0
                           and u.expected = coalesce((select s.revision from streams s where s.stream = u.stream), -1)), true)
         and count(distinct u.stream) = count(*)
    into v_as_expected
    from unnest(p_streams, p_expected, p_counts) as u(stream, expected, count);
  if v_as_expected then
    return query
      with appends as (
        select u.stream, u.expected, u.count, u.ord, sum(u.count) over (order by u.ord) - u.count as before
          from unnest(p_streams, p_expected, p_counts) with ordinality as u(stream, expected, count, ord)
      ), inserted as (
        insert into events (stream, revision, event_id, type, data, metadata)
        select a.stream, a.expected + e.n, p_ids[a.before + e.n], p_types[a.before + e.n], p_data[a.before + e.n], p_metadata[a.before + e.n]
          from appends a cross join lateral generate_series(1, a.count) as e(n)
         order by a.ord, e.n
        returning events.stream, events.global_position
      ), advanced as (
        insert into streams as s (stream, revision) select a.stream, a.expected + a.count from appends a
          on conflict (stream) do update set revision = excluded.revision
      )
      select a.expected + a.count, pg_current_xact_id(), max(i.global_position), null::bigint
        from appends a join inserted i on i.stream = a.stream
       group by a.ord, a.expected, a.count
       order by a.ord;
    return;
  end if;

  for i in 1 .. coalesce(cardinality(p_streams), 0) loop
    v_to := v_from + p_counts[i] - 1;
    return query select * from append_events_locked(
      p_streams[i], p_expected[i], p_ids[v_from:v_to], p_types[v_from:v_to], p_data[v_from:v_to], p_metadata[v_from:v_to]);
    v_from := v_to + 1;
  end loop;
end
$fn$;
`;
