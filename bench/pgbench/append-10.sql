-- ten events per call to the store's own append function, on one of 400 streams; the metadata is
-- the Node writers' (built with jsonb_build_object: pgbench reads a colon in a literal as a variable)
\set s random(0, 399)
select * from append_events('pgb10-' || :s, -2, array(select gen_random_uuid() from generate_series(1, 10)), array_fill('Pinged'::text, array[10]), array_fill('{}'::jsonb, array[10]), array_fill(jsonb_build_object('correlationId', 'test', 'causationId', null, 'actor', 'test', 'schemaVersion', 1), array[10]));
