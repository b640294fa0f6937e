-- Group commit: several writes and rollbacks, of one namespace or many, in one statement and one
-- transaction, each with its own consecutive version and its own outcome. The hub sends a batch
-- when writes queue up behind the one in flight, so under load one transaction takes each head's
-- row lock once for many revisions instead of once per revision.
--
-- herald_append_many(p_ns, p_expected, p_author, p_message, p_changes, p_rollback_to, p_digests)
--     -> one row per write, in order: (o_index, o_version, o_created_at, o_keys, o_ops, o_values,
--        o_state, o_detail)
--   The arrays run in parallel, one element per write. p_changes[i] is
--   {"k": [keys], "o": [ops], "v": [values as JSON text, null for deletes]} for a write, NULL for a
--   rollback (p_rollback_to[i] set). p_digests[i] is the SHA-256 of the write's changes as the hub
--   publishes them (V7), stored in revision_digests with the revision; NULL for a rollback.
--   Each write runs herald_append (V4) in a subtransaction: a
--   write that fails with one of herald_append's own states (HR409, HR404, HR410, HR411) or with
--   data PostgreSQL refuses (classes 22, 23) is undone alone and reported in o_state/o_detail
--   (o_version NULL); its batch-mates commit. Any other failure (the connection, a deadlock, a
--   shutdown) fails the whole statement, and nothing of the batch is committed.
--   Keep batches at 64 writes or fewer: more subtransactions than that in one transaction slow
--   every other session (PostgreSQL's subtransaction cache overflows).
CREATE FUNCTION herald_append_many(p_ns text[], p_expected bigint[], p_author text[], p_message text[],
                                   p_changes jsonb[], p_rollback_to bigint[], p_digests bytea[])
RETURNS TABLE (o_index int, o_version bigint, o_created_at timestamptz, o_keys text[], o_ops text[],
               o_values text[], o_state text, o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_keys text[];
    v_ops text[];
    v_values text[];
BEGIN
    FOR i IN 1 .. COALESCE(cardinality(p_ns), 0) LOOP
        o_index := i;
        o_state := NULL;
        o_detail := NULL;
        IF p_changes[i] IS NULL THEN
            v_keys := NULL;
            v_ops := NULL;
            v_values := NULL;
        ELSE
            v_keys := ARRAY(SELECT jsonb_array_elements_text(p_changes[i] -> 'k'));
            v_ops := ARRAY(SELECT jsonb_array_elements_text(p_changes[i] -> 'o'));
            v_values := ARRAY(SELECT jsonb_array_elements_text(p_changes[i] -> 'v'));
        END IF;
        BEGIN
            SELECT a.o_version, a.o_created_at, a.o_keys, a.o_ops, a.o_values
            INTO o_version, o_created_at, o_keys, o_ops, o_values
            FROM herald_append(p_ns[i], p_expected[i], p_author[i], p_message[i], v_keys, v_ops, v_values,
                               p_rollback_to[i]) a;
            IF p_digests[i] IS NOT NULL THEN
                INSERT INTO revision_digests (namespace, version, changes_sha256)
                VALUES (p_ns[i], o_version, p_digests[i]);
            END IF;
        EXCEPTION
            WHEN SQLSTATE 'HR409' OR SQLSTATE 'HR404' OR SQLSTATE 'HR410' OR SQLSTATE 'HR411'
                 OR data_exception OR integrity_constraint_violation THEN
                GET STACKED DIAGNOSTICS o_state = RETURNED_SQLSTATE, o_detail = PG_EXCEPTION_DETAIL;
                o_version := NULL;
                o_created_at := NULL;
                o_keys := NULL;
                o_ops := NULL;
                o_values := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;
