-- Frames carry their origin (issue #18). With each write, the hub stores the SHA-256 of the
-- "changes" array of the revision's delta frame, exactly as it publishes that frame on the event
-- bus. A hub that receives a frame from another node pushes it only when the frame's namespace,
-- version and changes match what is stored here (hub: FrameCheck), so a cluster member that can
-- send on the event bus still cannot invent or alter a revision.
--
-- A table of its own rather than a column of revisions: herald_append stays as it is, and the hub
-- inserts the digest in the same statement as the call (a data-modifying WITH around it, see
-- Sql.APPEND_FUNCTION), so the digest commits with the revision or not at all.
-- Rollbacks compute their changes inside herald_append and have no digest; neither have revisions
-- written before this migration. Receivers read those from the revision table instead of trusting
-- a frame.
CREATE TABLE revision_digests (
    namespace       text   NOT NULL,
    version         bigint NOT NULL,
    changes_sha256  bytea  NOT NULL CHECK (length(changes_sha256) = 32),
    PRIMARY KEY (namespace, version),
    FOREIGN KEY (namespace, version) REFERENCES revisions (namespace, version)
);

-- History is immutable, its digests too.
CREATE TRIGGER revision_digests_append_only
    BEFORE UPDATE OR DELETE ON revision_digests
    FOR EACH ROW EXECUTE FUNCTION herald_refuse_history_rewrite();
CREATE TRIGGER revision_digests_no_truncate
    BEFORE TRUNCATE ON revision_digests
    FOR EACH STATEMENT EXECUTE FUNCTION herald_refuse_history_rewrite();
