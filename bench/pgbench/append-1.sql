-- one event per call to the store's own append function, on one of 400 streams; the metadata is
-- the Node writers' (built with jsonb_build_object: pgbench reads a colon in a literal as a variable)
\set s random(0, 399)
select * from append_events('pgb-' || :s, -2, array[gen_random_uuid()], array['Pinged'], array['{}'::jsonb], array[jsonb_build_object('correlationId', 'test', 'causationId', null, 'actor', 'test', 'schemaVersion', 1)]);
