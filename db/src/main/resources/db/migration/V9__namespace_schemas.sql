-- Namespace schemas (issue #16): a JSON Schema (draft 2020-12) per namespace, describing its
-- entries as one object. Schema changes are kept append-only, like revisions. The hub validates;
-- the database makes sure no write reaches a namespace with a schema without having been validated.
--
-- namespaces.schema_version is the newest schema change of the namespace (0: never had one);
-- namespaces.has_schema says whether that change set a schema (false: it removed it). A schema may
-- be set before the first write: the namespace row is then created at head 0.
ALTER TABLE namespaces ADD COLUMN schema_version bigint NOT NULL DEFAULT 0 CHECK (schema_version >= 0);
ALTER TABLE namespaces ADD COLUMN has_schema boolean NOT NULL DEFAULT false;

CREATE TABLE namespace_schemas (
    namespace           text        NOT NULL REFERENCES namespaces (name),
    version             bigint      NOT NULL CHECK (version >= 1),
    -- The schema as sent (JSON text, so its key order is kept); NULL when this change removed it.
    schema              text,
    -- The namespace's head when the schema was set.
    at_head             bigint      NOT NULL CHECK (at_head >= 0),
    -- Set when the head violated the schema and the writer said so knowingly: the violations then.
    allow_invalid_head  boolean     NOT NULL DEFAULT false,
    head_violations     jsonb,
    author              text        NOT NULL,
    message             text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (namespace, version),
    CHECK (octet_length(schema) <= 65536)
);

CREATE TRIGGER namespace_schemas_append_only
    BEFORE UPDATE OR DELETE ON namespace_schemas
    FOR EACH ROW EXECUTE FUNCTION herald_refuse_history_rewrite();
CREATE TRIGGER namespace_schemas_no_truncate
    BEFORE TRUNCATE ON namespace_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION herald_refuse_history_rewrite();

-- herald_append_many as in V8, in namespace order (below), with one more parallel array:
-- p_schema[i], the schema version the hub validated write i against, NULL when it did not validate
-- it (it believed the namespace had no schema). After herald_append has locked the head row:
--   NULL  and the namespace has a schema          -> HR412
--   v     and the namespace's schema version <> v -> HR412 (changed or removed meanwhile)
--   HR412 the write was not validated against the schema in force: DETAIL is that schema version
--         (0 when the namespace has none); the write alone is undone.
-- The hub judges a write on the state at the head it expects, and sends that head as the
-- write's expected version (HR409 when the head moved), so what commits is exactly what was judged.
DROP FUNCTION herald_append_many(text[], bigint[], text[], text[], jsonb[], bigint[], bytea[]);

CREATE FUNCTION herald_append_many(p_ns text[], p_expected bigint[], p_author text[], p_message text[],
                                   p_changes jsonb[], p_rollback_to bigint[], p_digests bytea[],
                                   p_schema bigint[])
RETURNS TABLE (o_index int, o_version bigint, o_created_at timestamptz, o_keys text[], o_ops text[],
               o_values text[], o_state text, o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_keys text[];
    v_ops text[];
    v_values text[];
    v_schema bigint;
    i int;
BEGIN
    -- In namespace order (each namespace's writes in their given order): every batch takes its head
    -- locks in the same order, so two concurrent batches over the same namespaces wait for each
    -- other instead of deadlocking (V8 went in batch order, and concurrent batches deadlocked).
    FOR i IN SELECT t.ord FROM unnest(p_ns) WITH ORDINALITY AS t(ns, ord) ORDER BY t.ns COLLATE "C", t.ord LOOP
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
            -- herald_append holds the head row's lock now: this reads the committed schema state.
            SELECT CASE WHEN n.has_schema THEN n.schema_version ELSE 0 END INTO v_schema
            FROM namespaces n WHERE n.name = p_ns[i];
            IF v_schema <> COALESCE(p_schema[i], 0) THEN
                RAISE EXCEPTION 'namespace % has schema version %, not %', p_ns[i], v_schema, p_schema[i]
                    USING ERRCODE = 'HR412', DETAIL = v_schema::text;
            END IF;
            IF p_digests[i] IS NOT NULL THEN
                INSERT INTO revision_digests (namespace, version, changes_sha256)
                VALUES (p_ns[i], o_version, p_digests[i]);
            END IF;
        EXCEPTION
            WHEN SQLSTATE 'HR409' OR SQLSTATE 'HR404' OR SQLSTATE 'HR410' OR SQLSTATE 'HR411' OR SQLSTATE 'HR412'
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
