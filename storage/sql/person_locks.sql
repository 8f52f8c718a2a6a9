-- person_locks: what the writer takes before write_batch.sql, in the same
-- transaction (storage/pg_writer.c, pg_async_query_after), and `raia
-- forget` and `raia purge` before their deletes (storage/erase.c): a lock
-- shared for every person a batch stores, exclusive for every person an
-- erasure or a delete removes. A batch and a delete of the same person, from
-- any writer of any gateway or from the CLI, so run one after the other,
-- and the one that waited takes its snapshot (in the next statement) after
-- the other has committed: a batch then sees an erasure and drops what it
-- covers, an erasure sees the answers a batch stored and deletes them. In
-- one statement the snapshot would predate the wait, and a batch could
-- store the answers of a person erased meanwhile (docs/storage.md "The
-- writer").
-- The locks are transaction-level advisory locks (released at commit) with
-- key 7263 on one of 64 buckets of people (storage/person_locks.c hashes
-- the pseudonym): a few dozen locks a batch, however large. The buckets
-- come in ascending order, so two transactions cannot deadlock on them.
-- $1: the buckets, comma-separated and ascending, "!" before an exclusive
-- one (person_locks_param). Returns how many it locked.
SELECT count(*)
FROM string_to_table($1, ',') AS b,
     LATERAL (SELECT CASE WHEN b LIKE '!%'
                          THEN pg_advisory_xact_lock(7263, ltrim(b, '!')::integer)
                          ELSE pg_advisory_xact_lock_shared(7263, b::integer) END) x
