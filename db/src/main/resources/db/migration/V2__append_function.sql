-- One write in one round trip: herald_append does what ConfigStore.append did in four (BEGIN,
-- bump the head, append, COMMIT), inside the implicit transaction of a single statement. Any
-- exception undoes all of it, head bump included.
--   HR409 version conflict: DETAIL is the current head
--   HR404 a delete names a key the namespace does not hold: DETAIL is that key
CREATE FUNCTION herald_append(p_ns text, p_expected bigint, p_author text, p_message text,
                              p_keys text[], p_ops text[], p_values text[],
                              OUT o_version bigint, OUT o_created_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_missing text;
BEGIN
    INSERT INTO namespaces AS n (name, head) VALUES (p_ns, 1)
    ON CONFLICT (name) DO UPDATE SET head = n.head + 1, updated_at = now()
    RETURNING n.head INTO o_version;

    IF p_expected IS NOT NULL AND p_expected <> o_version - 1 THEN
        RAISE EXCEPTION 'namespace % is at version %, not %', p_ns, o_version - 1, p_expected
            USING ERRCODE = 'HR409', DETAIL = (o_version - 1)::text;
    END IF;

    SELECT c.k INTO v_missing
    FROM unnest(p_keys, p_ops) AS c(k, o)
    WHERE c.o = 'delete' AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.namespace = p_ns AND e.key = c.k)
    ORDER BY c.k COLLATE "C" LIMIT 1;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'namespace % has no key %', p_ns, v_missing USING ERRCODE = 'HR404', DETAIL = v_missing;
    END IF;

    INSERT INTO revisions (namespace, version, parent_version, kind, rollback_to, author, message, change_count)
    VALUES (p_ns, o_version, o_version - 1, 'write', NULL, p_author, p_message, cardinality(p_keys))
    RETURNING created_at INTO o_created_at;

    INSERT INTO revision_changes (namespace, version, key, op, value)
    SELECT p_ns, o_version, c.k, c.o, c.v::jsonb FROM unnest(p_keys, p_ops, p_values) AS c(k, o, v);

    INSERT INTO entries (namespace, key, value, version)
    SELECT p_ns, c.k, c.v::jsonb, o_version FROM unnest(p_keys, p_ops, p_values) AS c(k, o, v) WHERE c.o = 'put'
    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version;

    DELETE FROM entries e USING unnest(p_keys, p_ops) AS c(k, o)
    WHERE c.o = 'delete' AND e.namespace = p_ns AND e.key = c.k;
END;
$$;
