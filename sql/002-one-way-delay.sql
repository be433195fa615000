-- pktmon history, migration to schema version 2.
-- Applied once, in the same transaction that sets PRAGMA user_version = 2,
-- to a version 1 history; never edited after release (add 003-... instead).

-- One-way delays, only when both ends said their clock was synchronised
-- (STAMP Error Estimate S bit in both directions of this exchange); NULL
-- otherwise, and for lost probes. Nanoseconds; below zero when the clocks
-- disagree by more than the delay.
ALTER TABLE probes ADD COLUMN owd_fwd_ns INTEGER;   -- reflector receive - client send
ALTER TABLE probes ADD COLUMN owd_bwd_ns INTEGER;   -- client receive - reflector send

-- DSCP asked for with --dscp (NULL: the system default, normally 0).
ALTER TABLE sessions ADD COLUMN dscp INTEGER;
-- Datagrams the client's probe socket dropped for want of buffer space
-- (SO_RXQ_OVFL): replies that arrived but were never read. Counted apart
-- from network loss; written when the session ends.
ALTER TABLE sessions ADD COLUMN host_drops INTEGER NOT NULL DEFAULT 0;
