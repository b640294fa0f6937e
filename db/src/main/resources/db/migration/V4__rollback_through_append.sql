-- One write path: herald_append now appends rollbacks too, so a rollback is one statement that
-- locks the head, checks and appends exactly like a write (it used to be four statements in Java).
-- herald_diff is the one diff query, used by herald_append for rollbacks and by the diff reads.
--
-- herald_append(p_ns, p_expected, p_author, p_message, p_keys, p_ops, p_values, p_rollback_to)
--     -> (o_version, o_created_at, o_keys, o_ops, o_values)
--   write    (p_rollback_to NULL): appends p_keys/p_ops/p_values (values as JSON text, NULL for
--            deletes; sorted by key by the caller). o_keys, o_ops, o_values are NULL: the caller has them.
--   rollback (p_rollback_to = v): p_keys/p_ops/p_values are ignored (pass NULL); appends a revision of
--            kind 'rollback' with rollback_to v whose changes turn the head back into the state at v,
--            and returns them sorted by key in o_keys/o_ops/o_values (values as jsonb text, NULL for
--            deletes). A key whose stored value is the same at both ends is left out, so a rollback to
--            the head (or to an equal state) appends a revision with no changes.
--   p_rollback_to defaults to NULL, so the seven-argument call of V2 still works.
-- Errors, checked in this order after the head row is locked (a first write creates it); any error
-- undoes everything, head bump and namespace creation included:
--   HR409 version conflict: DETAIL is the current head (0 for a namespace without revisions)
--   HR410 rollback of a namespace that has no revisions
--   HR411 rollback to a version not in 1..head: DETAIL is the head
--   HR404 a delete names a key the namespace does not hold: DETAIL is that key

-- Every key touched between versions p_from and p_to (either order), with its newest change as of
-- p_from ("before") and as of p_to ("after"), in no particular order. Works in both directions,
-- which is what a rollback needs.
CREATE FUNCTION herald_diff(p_ns text, p_from bigint, p_to bigint)
RETURNS TABLE (key text, before_op text, before_value jsonb, after_op text, after_value jsonb)
LANGUAGE sql STABLE AS $$
    SELECT ks.key, a.op, a.value, b.op, b.value
    FROM (SELECT DISTINCT c.key FROM revision_changes c
          WHERE c.namespace = p_ns AND c.version > LEAST(p_from, p_to) AND c.version <= GREATEST(p_from, p_to)) ks
    LEFT JOIN LATERAL (
        SELECT c.op, c.value FROM revision_changes c
        WHERE c.namespace = p_ns AND c.key = ks.key AND c.version <= p_from
        ORDER BY c.version DESC LIMIT 1) a ON true
    LEFT JOIN LATERAL (
        SELECT c.op, c.value FROM revision_changes c
        WHERE c.namespace = p_ns AND c.key = ks.key AND c.version <= p_to
        ORDER BY c.version DESC LIMIT 1) b ON true
$$;

DROP FUNCTION herald_append(text, bigint, text, text, text[], text[], text[]);

CREATE FUNCTION herald_append(p_ns text, p_expected bigint, p_author text, p_message text,
                              p_keys text[], p_ops text[], p_values text[], p_rollback_to bigint DEFAULT NULL,
                              OUT o_version bigint, OUT o_created_at timestamptz,
                              OUT o_keys text[], OUT o_ops text[], OUT o_values text[])
LANGUAGE plpgsql AS $$
DECLARE
    v_head bigint;
    v_missing text;
BEGIN
    INSERT INTO namespaces AS n (name, head) VALUES (p_ns, 1)
    ON CONFLICT (name) DO UPDATE SET head = n.head + 1, updated_at = now()
    RETURNING n.head INTO o_version;
    v_head := o_version - 1;

    IF p_expected IS NOT NULL AND p_expected <> v_head THEN
        RAISE EXCEPTION 'namespace % is at version %, not %', p_ns, v_head, p_expected
            USING ERRCODE = 'HR409', DETAIL = v_head::text;
    END IF;

    IF p_rollback_to IS NOT NULL THEN
        IF v_head = 0 THEN
            RAISE EXCEPTION 'namespace % has no revisions', p_ns USING ERRCODE = 'HR410';
        END IF;
        IF p_rollback_to < 1 OR p_rollback_to > v_head THEN
            RAISE EXCEPTION 'namespace % has no version % (head is %)', p_ns, p_rollback_to, v_head
                USING ERRCODE = 'HR411', DETAIL = v_head::text;
        END IF;
        -- The head row is locked, so this statement's snapshot sees every earlier revision.
        -- Values compare as stored (jsonb's canonical text), as the hub compared decoded values.
        SELECT COALESCE(array_agg(d.key ORDER BY d.key COLLATE "C"), '{}'),
               COALESCE(array_agg(COALESCE(d.after_op, 'delete') ORDER BY d.key COLLATE "C"), '{}'),
               COALESCE(array_agg(CASE WHEN d.after_op = 'put' THEN d.after_value::text END
                                  ORDER BY d.key COLLATE "C"), '{}')
        INTO p_keys, p_ops, p_values
        FROM herald_diff(p_ns, v_head, p_rollback_to) d
        WHERE COALESCE(d.before_op = 'put', false) <> COALESCE(d.after_op = 'put', false)
           OR (d.after_op = 'put' AND d.before_value::text <> d.after_value::text);
        o_keys := p_keys;
        o_ops := p_ops;
        o_values := p_values;
    END IF;

    SELECT c.k INTO v_missing
    FROM unnest(p_keys, p_ops) AS c(k, o)
    WHERE c.o = 'delete' AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.namespace = p_ns AND e.key = c.k)
    ORDER BY c.k COLLATE "C" LIMIT 1;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'namespace % has no key %', p_ns, v_missing USING ERRCODE = 'HR404', DETAIL = v_missing;
    END IF;

    INSERT INTO revisions (namespace, version, parent_version, kind, rollback_to, author, message, change_count)
    VALUES (p_ns, o_version, v_head, CASE WHEN p_rollback_to IS NULL THEN 'write' ELSE 'rollback' END,
            p_rollback_to, p_author, p_message, cardinality(p_keys))
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
