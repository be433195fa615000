-- pktmon history, migration to schema version 3.
-- Applied once, in the same transaction that sets PRAGMA user_version = 3,
-- to a version 2 history; never edited after release (add 004-... instead).

-- Every scheduled probe slot has a row in probes, sent or not. A slot whose
-- probe could not be sent at all (no session to send on, or the kernel
-- refused it) has fate 6 and counts as loss. Rows of slots without any
-- session belong to a session of mode 'none' (ssid 0, no addresses). The
-- client keeps this table in step with its own fate table at every open.
INSERT OR IGNORE INTO fates (code, name, meaning) VALUES
    (6, 'unsent', 'the slot''s probe could not be sent (no session, no route, or a send error); counted as loss');

-- sessions.end_reason may now also be 'reconnected': the session outlived
-- its control channel (it was probed on meanwhile) and was closed over the
-- next one; 'aborted' is a session whose reflector count is lost.
-- Slots of the session that were never sent (fate 6); written when it ends.
ALTER TABLE sessions ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0;

-- Why a renewal request got no new session ('control channel lost', ...);
-- NULL when it was granted or is still waiting.
ALTER TABLE renewals ADD COLUMN failed TEXT;

-- One row per loss episode, as the client saw it live (the same rule as
-- pktmon-report's: shared/episode.h). Times are send times of slots. The
-- directions are updated when they are learnt after the episode ended.
CREATE TABLE episodes (
    id             INTEGER PRIMARY KEY,
    server         TEXT NOT NULL,
    start_ns       INTEGER NOT NULL,       -- first lost slot
    end_ns         INTEGER NOT NULL,       -- last lost slot
    close_ns       INTEGER,                -- the slot that closed it (NULL: run ended inside it)
    slots          INTEGER NOT NULL,       -- slots from start to end
    lost           INTEGER NOT NULL,       -- lost_forward + lost_backward + lost_unknown + unsent + late
    lost_forward   INTEGER NOT NULL,
    lost_backward  INTEGER NOT NULL,
    lost_unknown   INTEGER NOT NULL,       -- direction not known when the episode ended
    unsent         INTEGER NOT NULL,
    late           INTEGER NOT NULL,       -- timed out, answered later: a bad slot for the
                                           -- episode rule, not a loss in the loss %
    class          TEXT NOT NULL,          -- 'transient', 'flow-specific', 'path-wide', 'outage', 'local'
    renewals       INTEGER NOT NULL        -- renewals asked for during it
);
CREATE INDEX episodes_start ON episodes(start_ns);
