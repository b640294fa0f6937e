-- Group commit without a subtransaction per write (issue #13, the write path).
--
-- herald_append_many (V8/V9) runs herald_append once per write, each in a subtransaction, and
-- bumps the namespace's head row once per write. Measured with pgbench on the machine of the
-- figures (synchronous_commit off, so CPU only): 0.61 ms per one-write call, of which the
-- subtransaction is about 0.2 ms; 32 writes of one namespace in one call took 7.9 ms. That CPU,
-- not the WAL flush, capped writes per second.
--
-- herald_append_batch takes the same writes and gives the same answers, the same way:
--   * Namespaces in name order (as V9, so concurrent batches wait for each other instead of
--     deadlocking), each namespace's writes in their given order; each namespace's head row is
--     locked once (created at head 0 when missing, removed again if none of its writes commits)
--     and set once, at the end.
--   * Each write is checked in plain code against the running head: first HR413 (new here: the
--     namespace has an unfinished progressive rollout, V10, and the write is not one of its
--     revisions; DETAIL the rollout's version), then in herald_append's order
--     HR409 (stale expected version; DETAIL the head), HR410 / HR411 (rollback of an empty
--     namespace / to a version not in 1..head; DETAIL the head), HR404 (a delete of a key the
--     namespace does not hold at that point; DETAIL the key, the first in "C" order), HR412 (not
--     validated against the schema in force, V9; DETAIL that schema version). A failed write
--     appends nothing and takes no version; its batch-mates go on.
--   * Appended writes are inserted together: one statement each for revisions, changes, digests
--     and current entries, whatever the batch size. Before a write that deletes and before a
--     rollback, what is pending is inserted first, so their checks and diffs read exactly the
--     state they follow.
--   * Anything PostgreSQL refuses (a data exception or a constraint, classes 22 and 23) fails the
--     whole statement, and nothing of the batch is committed: the hub then sends the same batch
--     to herald_append_each (below), which runs each write alone in a subtransaction and fails the
--     culprit alone. The hub validates names, keys and values first; what it cannot see (U+0000
--     inside a JSON string, which jsonb refuses) takes that second trip.
--   * Generic plans (plan_cache_mode): the statements take arrays, and re-planning them for every
--     call cost more than running them (0.43 -> 0.25 ms per one-write call, in one transaction).
--
-- herald_append_batch(p_ns, p_expected, p_author, p_message, p_rollback_to, p_digests, p_schema,
--                     p_counts, p_keys, p_ops, p_values)
--     -> one row per write: (o_index, o_version, o_created_at, o_keys, o_ops, o_values, o_state,
--        o_detail) exactly as herald_append_many; rows come in processing order, sort by o_index.
--   p_ns .. p_schema, p_counts run in parallel, one element per write (p_rollback_to[i] set: a
--   rollback, p_counts[i] 0). The changes of all writes are concatenated, in write order, in
--   p_keys / p_ops / p_values (values as JSON text, NULL for deletes; each write's sorted by key):
--   write i owns p_counts[i] of them, after those of writes 1..i-1. p_rollouts[i]: the rollout
--   (rollouts.id) whose staged version or rollback write i is, NULL for a plain write.
--
-- Why HR413 is checked here and not only in the hub: a hub refuses writes while it knows of a
-- rollout, but another node may start one an instant before (its row in rollout_active, then its
-- staged write). Under the head lock the check sees every rollout committed before: a plain write
-- either commits before the staged version (whose write then fails HR409 and its rollout is
-- cancelled) or not at all, never after it.

-- Inserts the revisions, changes, digests and current entries of appended writes (never rollbacks):
-- a_idx[j] is the write's index in the batch arrays, a_ver[j] its version, a_at[j] its time.
CREATE FUNCTION herald_batch_insert(p_ns text[], p_author text[], p_message text[], p_digests bytea[],
                                    p_counts int[], p_start int[], p_keys text[], p_ops text[], p_values text[],
                                    a_idx int[], a_ver bigint[], a_at timestamptz[])
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    INSERT INTO revisions (namespace, version, parent_version, kind, rollback_to, author, message, change_count,
                           created_at)
    SELECT p_ns[w.i], w.v, w.v - 1, 'write', NULL, p_author[w.i], p_message[w.i], p_counts[w.i], w.t
    FROM unnest(a_idx, a_ver, a_at) AS w(i, v, t);

    INSERT INTO revision_changes (namespace, version, key, op, value)
    SELECT p_ns[w.i], w.v, p_keys[j], p_ops[j], p_values[j]::jsonb
    FROM unnest(a_idx, a_ver) AS w(i, v), generate_series(p_start[w.i], p_start[w.i] + p_counts[w.i] - 1) AS j;

    INSERT INTO revision_digests (namespace, version, changes_sha256)
    SELECT p_ns[w.i], w.v, p_digests[w.i]
    FROM unnest(a_idx, a_ver) AS w(i, v)
    WHERE p_digests[w.i] IS NOT NULL;

    -- A key written by several of these writes ends as the newest of them.
    WITH newest AS (
        SELECT DISTINCT ON (p_ns[w.i], p_keys[j]) p_ns[w.i] AS ns, p_keys[j] AS k, p_ops[j] AS o, p_values[j] AS val,
               w.v AS v
        FROM unnest(a_idx, a_ver) AS w(i, v), generate_series(p_start[w.i], p_start[w.i] + p_counts[w.i] - 1) AS j
        ORDER BY p_ns[w.i], p_keys[j], w.v DESC
    ), put AS (
        INSERT INTO entries AS e (namespace, key, value, version)
        SELECT ns, k, val::jsonb, v FROM newest WHERE o = 'put'
        ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version
    )
    DELETE FROM entries e USING newest
    WHERE newest.o = 'delete' AND e.namespace = newest.ns AND e.key = newest.k;
END;
$$;

CREATE FUNCTION herald_append_batch(p_ns text[], p_expected bigint[], p_author text[], p_message text[],
                                    p_rollback_to bigint[], p_digests bytea[], p_schema bigint[],
                                    p_counts int[], p_keys text[], p_ops text[], p_values text[],
                                    p_rollouts bigint[])
RETURNS TABLE (o_index int, o_version bigint, o_created_at timestamptz, o_keys text[], o_ops text[],
               o_values text[], o_state text, o_detail text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_n int := COALESCE(cardinality(p_ns), 0);
    v_start int[] := '{}';
    v_pos int := 1;
    i int;
    v_ns text;
    v_head bigint;
    v_schema bigint;
    v_created boolean;
    v_keys text[];
    v_ops text[];
    v_values text[];
    v_missing text;
    v_to bigint;
    v_rollout bigint;
    v_rollout_version bigint;
    -- Appended writes not inserted yet.
    a_idx int[] := '{}';
    a_ver bigint[] := '{}';
    a_at timestamptz[] := '{}';
    -- Every namespace of the batch: its head at the start and at the end, and whether this batch created it.
    c_ns text[] := '{}';
    c_first bigint[] := '{}';
    c_head bigint[] := '{}';
    c_created boolean[] := '{}';
BEGIN
    FOR i IN 1 .. v_n LOOP
        v_start := v_start || v_pos;
        v_pos := v_pos + p_counts[i];
    END LOOP;
    IF v_pos - 1 <> COALESCE(cardinality(p_keys), 0) THEN
        RAISE EXCEPTION 'herald_append_batch: % changes counted, % given', v_pos - 1, COALESCE(cardinality(p_keys), 0)
            USING ERRCODE = 'HR500';
    END IF;

    FOR i IN SELECT t.ord FROM unnest(p_ns) WITH ORDINALITY AS t(ns, ord) ORDER BY t.ns COLLATE "C", t.ord LOOP
        IF v_ns IS DISTINCT FROM p_ns[i] THEN
            IF v_ns IS NOT NULL THEN
                c_head := c_head || v_head;
            END IF;
            v_ns := p_ns[i];
            SELECT n.head, CASE WHEN n.has_schema THEN n.schema_version ELSE 0 END INTO v_head, v_schema
            FROM namespaces n WHERE n.name = v_ns FOR UPDATE;
            v_created := false;
            IF NOT FOUND THEN
                INSERT INTO namespaces (name, head) VALUES (v_ns, 0) ON CONFLICT (name) DO NOTHING
                RETURNING true INTO v_created;
                v_created := COALESCE(v_created, false);
                IF v_created THEN
                    v_head := 0;
                    v_schema := 0;
                ELSE
                    -- Created meanwhile by another transaction, committed now: lock it.
                    SELECT n.head, CASE WHEN n.has_schema THEN n.schema_version ELSE 0 END INTO v_head, v_schema
                    FROM namespaces n WHERE n.name = v_ns FOR UPDATE;
                END IF;
            END IF;
            -- With the head locked: a rollout that starts now waits for this batch (its write does).
            SELECT a.rollout_id, r.version INTO v_rollout, v_rollout_version
            FROM rollout_active a JOIN rollouts r ON r.id = a.rollout_id
            WHERE a.namespace = v_ns;
            c_ns := c_ns || v_ns;
            c_first := c_first || v_head;
            c_created := c_created || v_created;
        END IF;

        o_index := i;
        o_state := NULL;
        o_detail := NULL;
        o_version := NULL;
        o_created_at := NULL;
        o_keys := NULL;
        o_ops := NULL;
        o_values := NULL;
        v_to := p_rollback_to[i];

        IF v_rollout IS NOT NULL AND v_rollout IS DISTINCT FROM p_rollouts[i] THEN
            o_state := 'HR413';
            o_detail := v_rollout_version::text;
        ELSIF p_expected[i] IS NOT NULL AND p_expected[i] <> v_head THEN
            o_state := 'HR409';
            o_detail := v_head::text;
        ELSIF v_to IS NOT NULL AND v_head = 0 THEN
            o_state := 'HR410';
        ELSIF v_to IS NOT NULL AND (v_to < 1 OR v_to > v_head) THEN
            o_state := 'HR411';
            o_detail := v_head::text;
        ELSE
            IF v_to IS NULL THEN
                v_keys := p_keys[v_start[i] : v_start[i] + p_counts[i] - 1];
                v_ops := p_ops[v_start[i] : v_start[i] + p_counts[i] - 1];
                v_values := p_values[v_start[i] : v_start[i] + p_counts[i] - 1];
            END IF;
            -- A rollback's diff and a delete's check read the stored state: store what is pending first.
            IF (v_to IS NOT NULL OR 'delete' = ANY (v_ops)) AND cardinality(a_idx) > 0 THEN
                PERFORM herald_batch_insert(p_ns, p_author, p_message, p_digests, p_counts, v_start,
                                            p_keys, p_ops, p_values, a_idx, a_ver, a_at);
                a_idx := '{}';
                a_ver := '{}';
                a_at := '{}';
            END IF;
            IF v_to IS NOT NULL THEN
                -- As herald_append (V4): the changes that turn the head back into the state at v_to.
                SELECT COALESCE(array_agg(d.key ORDER BY d.key COLLATE "C"), '{}'),
                       COALESCE(array_agg(COALESCE(d.after_op, 'delete') ORDER BY d.key COLLATE "C"), '{}'),
                       COALESCE(array_agg(CASE WHEN d.after_op = 'put' THEN d.after_value::text END
                                          ORDER BY d.key COLLATE "C"), '{}')
                INTO v_keys, v_ops, v_values
                FROM herald_diff(v_ns, v_head, v_to) d
                WHERE COALESCE(d.before_op = 'put', false) <> COALESCE(d.after_op = 'put', false)
                   OR (d.after_op = 'put' AND d.before_value::text <> d.after_value::text);
            END IF;

            v_missing := NULL;
            IF 'delete' = ANY (v_ops) THEN
                SELECT c.k INTO v_missing
                FROM unnest(v_keys, v_ops) AS c(k, o)
                WHERE c.o = 'delete' AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.namespace = v_ns AND e.key = c.k)
                ORDER BY c.k COLLATE "C" LIMIT 1;
            END IF;

            IF v_missing IS NOT NULL THEN
                o_state := 'HR404';
                o_detail := v_missing;
            ELSIF v_schema <> COALESCE(p_schema[i], 0) THEN
                o_state := 'HR412';
                o_detail := v_schema::text;
            ELSE
                v_head := v_head + 1;
                o_version := v_head;
                o_created_at := clock_timestamp();
                IF v_to IS NULL THEN
                    a_idx := a_idx || i;
                    a_ver := a_ver || v_head;
                    a_at := a_at || o_created_at;
                ELSE
                    o_keys := v_keys;
                    o_ops := v_ops;
                    o_values := v_values;
                    INSERT INTO revisions (namespace, version, parent_version, kind, rollback_to, author, message,
                                           change_count, created_at)
                    VALUES (v_ns, v_head, v_head - 1, 'rollback', v_to, p_author[i], p_message[i],
                            cardinality(v_keys), o_created_at);
                    INSERT INTO revision_changes (namespace, version, key, op, value)
                    SELECT v_ns, v_head, c.k, c.o, c.v::jsonb FROM unnest(v_keys, v_ops, v_values) AS c(k, o, v);
                    INSERT INTO entries (namespace, key, value, version)
                    SELECT v_ns, c.k, c.v::jsonb, v_head FROM unnest(v_keys, v_ops, v_values) AS c(k, o, v)
                    WHERE c.o = 'put'
                    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version;
                    DELETE FROM entries e USING unnest(v_keys, v_ops) AS c(k, o)
                    WHERE c.o = 'delete' AND e.namespace = v_ns AND e.key = c.k;
                END IF;
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
    IF v_ns IS NULL THEN
        RETURN;
    END IF;
    c_head := c_head || v_head;

    IF cardinality(a_idx) > 0 THEN
        PERFORM herald_batch_insert(p_ns, p_author, p_message, p_digests, p_counts, v_start,
                                    p_keys, p_ops, p_values, a_idx, a_ver, a_at);
    END IF;
    UPDATE namespaces n SET head = x.h, updated_at = now()
    FROM unnest(c_ns, c_first, c_head) AS x(ns, f, h)
    WHERE n.name = x.ns AND x.h > x.f;
    -- A namespace this batch created for writes that all failed does not come into being.
    DELETE FROM namespaces n
    USING unnest(c_ns, c_head, c_created) AS x(ns, h, cr)
    WHERE n.name = x.ns AND x.cr AND x.h = 0;
END;
$$;

-- The same batch, each write alone in a subtransaction (so a write whose data PostgreSQL refuses
-- fails alone with its SQLSTATE in o_state, its batch-mates commit), in namespace order. For a batch
-- herald_append_batch refused as a whole; about 0.2 ms more per write.
CREATE FUNCTION herald_append_each(p_ns text[], p_expected bigint[], p_author text[], p_message text[],
                                   p_rollback_to bigint[], p_digests bytea[], p_schema bigint[],
                                   p_counts int[], p_keys text[], p_ops text[], p_values text[],
                                   p_rollouts bigint[])
RETURNS TABLE (o_index int, o_version bigint, o_created_at timestamptz, o_keys text[], o_ops text[],
               o_values text[], o_state text, o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_start int[] := '{}';
    v_pos int := 1;
    i int;
    r record;
BEGIN
    FOR i IN 1 .. COALESCE(cardinality(p_ns), 0) LOOP
        v_start := v_start || v_pos;
        v_pos := v_pos + p_counts[i];
    END LOOP;
    FOR i IN SELECT t.ord FROM unnest(p_ns) WITH ORDINALITY AS t(ns, ord) ORDER BY t.ns COLLATE "C", t.ord LOOP
        BEGIN
            SELECT b.* INTO r
            FROM herald_append_batch(ARRAY[p_ns[i]], ARRAY[p_expected[i]], ARRAY[p_author[i]], ARRAY[p_message[i]],
                                     ARRAY[p_rollback_to[i]], ARRAY[p_digests[i]], ARRAY[p_schema[i]],
                                     ARRAY[p_counts[i]],
                                     COALESCE(p_keys[v_start[i] : v_start[i] + p_counts[i] - 1], '{}'),
                                     COALESCE(p_ops[v_start[i] : v_start[i] + p_counts[i] - 1], '{}'),
                                     COALESCE(p_values[v_start[i] : v_start[i] + p_counts[i] - 1], '{}'),
                                     ARRAY[p_rollouts[i]]) b;
            o_version := r.o_version;
            o_created_at := r.o_created_at;
            o_keys := r.o_keys;
            o_ops := r.o_ops;
            o_values := r.o_values;
            o_state := r.o_state;
            o_detail := r.o_detail;
        EXCEPTION
            WHEN data_exception OR integrity_constraint_violation THEN
                GET STACKED DIAGNOSTICS o_state = RETURNED_SQLSTATE, o_detail = PG_EXCEPTION_DETAIL;
                o_version := NULL;
                o_created_at := NULL;
                o_keys := NULL;
                o_ops := NULL;
                o_values := NULL;
        END;
        o_index := i;
        RETURN NEXT;
    END LOOP;
END;
$$;
