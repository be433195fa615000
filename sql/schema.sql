-- pktmon history, schema version 1 (later versions: the migrations beside it).
-- All times are integer nanoseconds since the Unix epoch, UTC (wall clock at
-- the client). All durations are integer nanoseconds. The client applies this
-- file to an empty database and sets PRAGMA user_version = 1; later versions
-- add numbered forward-only migrations (sql/NNN-*.sql).

-- One row per probe fate code used in probes.fate, so the database explains
-- itself to anyone opening it with the sqlite3 shell.
CREATE TABLE fates (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    meaning TEXT NOT NULL
);
INSERT INTO fates (code, name, meaning) VALUES
    (0, 'answered',      'reply received within the loss timeout'),
    (1, 'reordered',     'reply received within the timeout, after a reply to a later probe'),
    (2, 'late',          'reply received after the loss timeout; not counted as loss'),
    (3, 'lost_forward',  'never reached the reflector (client to server)'),
    (4, 'lost_backward', 'reached the reflector, reply never arrived (server to client)'),
    (5, 'lost',          'no reply; direction unknown (ICMP mode, or the session ended without the reflector''s count)');

-- One row per probe session: one SSID, one key, one client UDP port.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    server        TEXT NOT NULL,           -- host:port as given on the command line
    mode          TEXT NOT NULL,           -- 'stamp-auth' (pktmon server), 'icmp',
                                           -- 'stamp-plain' / 'stamp-plain-auth' (--stamp)
    ssid          INTEGER NOT NULL,        -- STAMP session identifier (0 in ICMP mode)
    local_addr    TEXT,                    -- client UDP source address and port
    local_port    INTEGER,
    remote_addr   TEXT,                    -- reflector address and UDP port
    remote_port   INTEGER,
    interval_ns   INTEGER NOT NULL,        -- probe interval granted by the server
    size          INTEGER NOT NULL,        -- probe UDP payload size, octets
    timeout_ns    INTEGER NOT NULL,        -- loss timeout in force
    timestamping  TEXT NOT NULL,           -- 'kernel-tx+rx' (kernel send and receive
                                           -- times, SO_TIMESTAMPING) or 'kernel-rx' (send
                                           -- time from the clock just before the send
                                           -- call); a '-ns' suffix: receive times by
                                           -- SO_TIMESTAMPNS (as in every row written
                                           -- before the suffix existed)
    started_ns    INTEGER NOT NULL,
    ended_ns      INTEGER,                 -- NULL while the session runs
    end_reason    TEXT,                    -- 'renewed', 'stopped', 'aborted' (control channel lost)
    renewed_to    INTEGER REFERENCES sessions(id),
    -- totals, written when the session ends
    sent          INTEGER NOT NULL DEFAULT 0,
    received      INTEGER NOT NULL DEFAULT 0,
    lost_forward  INTEGER NOT NULL DEFAULT 0,
    lost_backward INTEGER NOT NULL DEFAULT 0,
    lost_unknown  INTEGER NOT NULL DEFAULT 0,
    late          INTEGER NOT NULL DEFAULT 0,
    reordered     INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    reflector_rx  INTEGER                  -- probes the reflector says it received (NULL if unknown)
);
CREATE INDEX sessions_started ON sessions(started_ns);

-- One row per probe sent, lost ones included.
CREATE TABLE probes (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    seq        INTEGER NOT NULL,           -- sender sequence number, from 0 in each session (64-bit)
    sent_ns    INTEGER NOT NULL,           -- send time
    rtt_ns     INTEGER,                    -- round-trip time minus reflector dwell; NULL when lost
    fate       INTEGER NOT NULL REFERENCES fates(code),
    dups       INTEGER NOT NULL DEFAULT 0, -- extra copies of the reply received
    ttl        INTEGER,                    -- IP TTL / hop limit of the reply as received
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE INDEX probes_sent ON probes(sent_ns);

-- One row per renewal: the client asked the server to replace a session.
CREATE TABLE renewals (
    id              INTEGER PRIMARY KEY,
    from_session    INTEGER NOT NULL REFERENCES sessions(id),
    to_session      INTEGER REFERENCES sessions(id),  -- NULL if the request failed
    requested_ns    INTEGER NOT NULL,
    reason          TEXT NOT NULL,         -- 'consecutive-loss', 'window-loss'
    detail          TEXT NOT NULL,         -- human-readable trigger, e.g. '3 consecutive losses'
    first_loss_ns   INTEGER,               -- send time of the first lost probe of the episode
    first_reply_ns  INTEGER,               -- arrival of the first reply on the new session
    loss_before_pct REAL NOT NULL,         -- loss % over the policy window before the renewal
    loss_after_pct  REAL                   -- loss % over the same number of probes after it
);
CREATE INDEX renewals_requested ON renewals(requested_ns);
