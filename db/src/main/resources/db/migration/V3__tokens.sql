-- Scoped tokens and the audit trail. A token is "hrld_<id>_<secret>"; only a SHA-256 of the
-- whole token is stored, so it cannot be read back after creation.
CREATE TABLE tokens (
    id           text        PRIMARY KEY,
    name         text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
    role         text        NOT NULL CHECK (role IN ('admin', 'writer', 'reader', 'client')),
    namespaces   text[]      NOT NULL,
    secret_hash  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,
    revoked_at   timestamptz,
    revoked_by   text
);

CREATE TABLE audit_log (
    id      bigserial   PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor   text        NOT NULL,
    action  text        NOT NULL,
    detail  jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION herald_refuse_history_rewrite();
