-- Schema version 3: the journal is trimmed per client (anonymous requests have a share
-- of their own and cannot evict a client's entries), so it is read by client and id.

CREATE INDEX journal_by_client ON journal (client_id, id);
