-- Herald schema, version 1: namespaces, append-only revisions, current entries, client state.
-- The syntax rules are enforced here too, so no code path (or psql session) can store a name
-- the HTTP API would refuse.

CREATE TABLE namespaces (
    name        text        PRIMARY KEY
                            CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
    head        bigint      NOT NULL CHECK (head >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE revisions (
    namespace       text        NOT NULL REFERENCES namespaces (name),
    version         bigint      NOT NULL CHECK (version >= 1),
    parent_version  bigint      NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('write', 'rollback')),
    rollback_to     bigint,
    author          text        NOT NULL,
    message         text        NOT NULL DEFAULT '',
    change_count    integer     NOT NULL CHECK (change_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (namespace, version),
    -- Versions are contiguous: every revision names its direct predecessor.
    CHECK (parent_version = version - 1),
    CHECK ((kind = 'rollback') = (rollback_to IS NOT NULL))
);

CREATE TABLE revision_changes (
    namespace  text   NOT NULL,
    version    bigint NOT NULL,
    key        text   NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,255}$'),
    op         text   NOT NULL CHECK (op IN ('put', 'delete')),
    value      jsonb,
    -- (namespace, key, version) serves "value of key as of version v" (snapshots, diffs).
    PRIMARY KEY (namespace, key, version),
    FOREIGN KEY (namespace, version) REFERENCES revisions (namespace, version),
    CHECK ((op = 'put') = (value IS NOT NULL))
);

-- Serves "all changes of versions a..b" (one revision, merged deltas, diffs).
CREATE INDEX revision_changes_by_version ON revision_changes (namespace, version);

-- The newest value of every live key, maintained in the same transaction as each revision.
CREATE TABLE entries (
    namespace  text   NOT NULL REFERENCES namespaces (name),
    key        text   NOT NULL,
    value      jsonb  NOT NULL,
    version    bigint NOT NULL,
    PRIMARY KEY (namespace, key)
);

-- History is immutable: the database itself refuses to rewrite it.
CREATE FUNCTION herald_refuse_history_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'herald: % on % is not allowed, revisions are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'HR001';
END;
$$;

CREATE TRIGGER revisions_append_only
    BEFORE UPDATE OR DELETE ON revisions
    FOR EACH ROW EXECUTE FUNCTION herald_refuse_history_rewrite();
CREATE TRIGGER revisions_no_truncate
    BEFORE TRUNCATE ON revisions
    FOR EACH STATEMENT EXECUTE FUNCTION herald_refuse_history_rewrite();
CREATE TRIGGER revision_changes_append_only
    BEFORE UPDATE OR DELETE ON revision_changes
    FOR EACH ROW EXECUTE FUNCTION herald_refuse_history_rewrite();
CREATE TRIGGER revision_changes_no_truncate
    BEFORE TRUNCATE ON revision_changes
    FOR EACH STATEMENT EXECUTE FUNCTION herald_refuse_history_rewrite();

-- What each client of a namespace runs. Acking version v means every version <= v is applied.
CREATE TABLE client_state (
    namespace         text        NOT NULL,
    client_id         text        NOT NULL,
    applied_version   bigint      NOT NULL DEFAULT 0,
    -- The latest ack's outcome; null until the client acks anything.
    status            text        CHECK (status IN ('applied', 'rejected')),
    rejected_version  bigint,
    error             text,
    node              text        NOT NULL,
    -- The connection (on that node) the row was last written for. Rows of an older connection
    -- (earlier connected_at) never overwrite a newer one.
    session           text        NOT NULL,
    labels            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    connected         boolean     NOT NULL,
    connected_at      timestamptz,
    last_seen         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, client_id)
);

CREATE INDEX client_state_by_node ON client_state (node) WHERE connected;
