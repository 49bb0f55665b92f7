-- Schema version 6: scenario files (issue 23). A provider client's scenario, the rules
-- deciding what its attempts get, kept as the client sent it (JSON, checked) so that it
-- survives a restart; NULL when the client cleared it (not even the server's --scenario
-- then applies to it). A client's reset deletes its row.

CREATE TABLE scenarios (
    client_id TEXT PRIMARY KEY,
    document TEXT,
    loaded_at REAL NOT NULL
);
