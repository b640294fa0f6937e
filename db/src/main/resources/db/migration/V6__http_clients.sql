-- Clients that follow over HTTP (pull clients: /watch or snapshot reads with a client_id, and
-- acks through POST .../versions/{v}/acks) have rows in client_state like WebSocket clients.
-- They hold no connection, so "connected" says nothing about them: they stay connected = false
-- and count as live while last_seen is recent (HERALD_PULL_STALE_AFTER_S, computed by the hub).
ALTER TABLE client_state ADD COLUMN transport text NOT NULL DEFAULT 'websocket'
    CHECK (transport IN ('websocket', 'http'));
