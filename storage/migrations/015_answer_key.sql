-- 015_answer_key: the stream entry id is the answers' primary key.
--
-- stream_id was already unique (a replayed batch inserts nothing twice) and
-- is what the writer's ON CONFLICT names; a second unique index on
-- answer_id was one more index entry for every answer stored, and no query
-- looks an answer up by it. answer_id stays, filled from its sequence, as
-- the order in which a session's answers were stored (exports, demo).
ALTER TABLE answers DROP CONSTRAINT answers_pkey;
ALTER TABLE answers DROP CONSTRAINT answers_stream_id_key;
ALTER TABLE answers ADD CONSTRAINT answers_pkey PRIMARY KEY (stream_id);
