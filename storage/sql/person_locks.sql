-- person_locks: what the writer takes before write_batch.sql, in the same
-- transaction (storage/pg_writer.c, pg_async_query_after): a lock on every
-- person the batch stores, shared, and exclusive on every person it erases.
-- A batch and an erasure of the same person, from any writer of any
-- gateway, so run one after the other, and the one that waited takes its
-- snapshot (in write_batch.sql, the next statement) after the other has
-- committed: a batch then sees the erasure and drops what it covers, an
-- erasure sees the answers the batch stored and deletes them. In one
-- statement the snapshot would predate the wait, and a batch could store
-- the answers of a person erased meanwhile (docs/storage.md "The writer").
-- The locks are transaction-level advisory locks (released at commit), key
-- 7263 and one of 256 buckets of the pseudonym's hash: at most 256 locks a
-- batch, however large, and two people who share a bucket only wait for
-- each other's erasures. Buckets are locked in ascending order, so two
-- batches cannot deadlock on them.
-- $1: the batch's pseudonyms, comma-separated, "!" before one it erases.
-- Returns how many buckets it locked.
SELECT count(*) FROM (
    SELECT bucket, bool_or(erase) AS erase
    FROM (SELECT hashtext(ltrim(p, '!')) & 255 AS bucket, p LIKE '!%' AS erase
          FROM string_to_table($1, ',') AS p) k
    GROUP BY bucket
    ORDER BY bucket
) l, LATERAL (SELECT CASE WHEN l.erase THEN pg_advisory_xact_lock(7263, l.bucket)
                          ELSE pg_advisory_xact_lock_shared(7263, l.bucket) END) x
