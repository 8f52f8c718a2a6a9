-- 012_answer_attempts: paradata for data quality. How many tries an answer
-- took, the valid one included (1: accepted at once; 3: two invalid
-- answers were re-prompted first). NULL for derived variables, which
-- nobody typed, and for answers stored before this migration.
ALTER TABLE answers ADD COLUMN attempts integer CHECK (attempts > 0);
