-- Acks rewrite applied_version, status and last_seen of a client's row once per version, thousands
-- of rows per version. The partial index on last_seen made every such update a non-HOT update:
-- a new entry in every index of the table for every ack. Its only reader is the pruning of old
-- disconnected rows, which runs at most hourly and can afford to scan the table.
DROP INDEX client_state_disconnected;

-- Free room in each page for the new row versions, so that ack updates stay on their page (HOT)
-- and leave the indexes alone.
ALTER TABLE client_state SET (fillfactor = 70);
