-- 0015: bootstrap intervals kept by the content of their clusters, so the leaderboards do not redraw 200
-- replicates of every model on every read (at 500 models × 365 nights that is 36.5 M draws, ~5 s).
-- clusters_md5: md5 of the scheme tag, the seed text ('provider/model' or 'provider/model/group') and every
-- cluster's (picodollars, solved) in draw order: the draws depend on nothing else, so a kept interval is the one a
-- fresh computation gives, and any change to the clusters (a new night, a re-priced or quarantined run) is a new
-- key. Written after the quality gate and after pricing (costbench/store/intervals.py); read by
-- sql/analytics/leaderboard.sql and category_leaderboard.sql, which compute only the keys not kept here.
-- Grain: one row per distinct cluster set. low/high NULL: no replicate had a solved task.
CREATE TABLE bootstrap_intervals (
    clusters_md5 VARCHAR PRIMARY KEY,
    low_usd      DECIMAL(38, 12),
    high_usd     DECIMAL(38, 12),
    computed_at  TIMESTAMPTZ NOT NULL
);
