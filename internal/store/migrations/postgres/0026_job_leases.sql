-- Leases of the background jobs that must run on one node at a time when
-- several nodes share one database (issue #14, docs/SCALEOUT.md). A row is
-- held by holder until until_ms (Unix ms, by the holder's clock); fence
-- grows by one on every takeover by another holder, and the job's writes
-- check it, so a holder that lost its lease (paused, cut off) cannot write
-- over its successor. done_ms is when the periodic job last completed a
-- run (0: never), so it runs once per period whichever node holds it.
CREATE TABLE job_leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	fence BIGINT NOT NULL,
	until_ms BIGINT NOT NULL,
	done_ms BIGINT NOT NULL DEFAULT 0
);
