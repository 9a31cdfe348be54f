-- A countermeasure that has completed a round (次のサイクルへ, `cycle > 1`)
-- counts as 評価改善 for its ward's topic (issue 18). The topic-stage
-- queries read those in a branch of their own (countermeasures::
-- ROUND_COMPLETED_SQL_C); this index answers it without a scan of every
-- countermeasure, and stays small: only completed rounds are in it.
CREATE INDEX countermeasures_round_completed ON countermeasures (ward_id, topic)
    WHERE cycle > 1 AND archived = 0;
