-- Progressive rollouts (#15): a version released step by step, advanced by the clients' acks.
-- A rollout is written once; what happens to it is an append-only list of transitions, each with
-- the state and released step it leaves. (rollout_id, seq) is the primary key: when several hub
-- nodes see the same gate at once, each inserts seq = last + 1 and exactly one of them wins.

-- A namespace's default plan for writes that carry none.
CREATE TABLE rollout_policies (
    namespace   text        PRIMARY KEY,
    plan        jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_by  text        NOT NULL
);

CREATE TABLE rollouts (
    id          bigserial   PRIMARY KEY,
    namespace   text        NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    stable      bigint      NOT NULL CHECK (stable >= 0 AND stable < version),
    plan        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by  text        NOT NULL,
    UNIQUE (namespace, version)
);

CREATE TABLE rollout_transitions (
    rollout_id  bigint      NOT NULL REFERENCES rollouts (id),
    seq         int         NOT NULL CHECK (seq >= 1),
    kind        text        NOT NULL CHECK (kind IN ('started', 'applied', 'advanced', 'paused', 'resumed',
                                                     'halted', 'completed', 'rolled_back', 'cancelled')),
    step        int         NOT NULL CHECK (step >= 0),
    state       text        NOT NULL CHECK (state IN ('active', 'paused', 'halted', 'completed', 'rolled_back',
                                                      'cancelled')),
    actor       text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (rollout_id, seq)
);

CREATE TRIGGER rollout_transitions_append_only
    BEFORE UPDATE OR DELETE ON rollout_transitions
    FOR EACH ROW EXECUTE FUNCTION herald_refuse_history_rewrite();

-- At most one unfinished rollout per namespace: its row exists from the start until the
-- transition that finishes it (completed, rolled_back, cancelled), which deletes it in the same
-- statement. A second start while one runs is a unique violation: rollout_in_progress.
CREATE TABLE rollout_active (
    namespace   text        PRIMARY KEY,
    rollout_id  bigint      NOT NULL UNIQUE REFERENCES rollouts (id)
);
