-- Client-state rows belong to the token that first wrote them, so one service cannot overwrite
-- (or forge) another service's rows by reusing its client_id, and a token can hold only so many.
--   owner: the token id, '@admin' for the bootstrap admin token, '' for rows written before
--          owners were recorded (the next token to write such a row claims it).
ALTER TABLE client_state ADD COLUMN owner text NOT NULL DEFAULT '';

-- Counting a token's rows (its cap) and pruning old disconnected rows stay cheap.
CREATE INDEX client_state_by_owner ON client_state (owner);
CREATE INDEX client_state_disconnected ON client_state (last_seen) WHERE NOT connected;
