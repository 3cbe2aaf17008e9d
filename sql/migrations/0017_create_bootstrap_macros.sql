-- 0017: the leaderboards' bootstrap, defined once (sql/analytics/leaderboard.sql and category_leaderboard.sql).
-- bootstrap_ci(clusters): clusters names a table or CTE with one row per cluster to resample: key (an integer
-- naming its group: a model, or a model in a category), seed_text ('provider/model' or 'provider/model/group'),
-- seed (the first 7 hex digits of md5(seed_text) as an integer), n (the group's number of clusters), idx (the
-- cluster's index, 0..n-1, in the order of its name), spend_pusd (its spend in integer picodollars) and solved.
-- Returns one row per group: clusters_md5 (the key of migration 0015: md5 of the scheme, the seed text and every
-- cluster's spend and solved in draw order, which is all the draws depend on) and the 95 % interval of the cost
-- per solved task in USD (low_usd, high_usd): the one kept under that key, else drawn now. Drawn: 200
-- replicates; replicate rep draws n clusters, draw i picking stable_pick(seed, rep, i, n) (migration 0008),
-- computed in its three rounds one column at a time (the nested macro of 0008 repeats each inner round and works
-- in HUGEINT, 9x slower; every value stays below 2^48, so BIGINT gives the same integers; the first round's
-- "% (2^31 - 1)" is left out: seed < 2^28 and rep * 65537 + i < 2^28 for i < 255 M, so their xor is too). A
-- replicate's cost is Σ spend // Σ solved in picodollars (money_div's truncation, exactly; NULL with no solved
-- task); the interval is its 2.5 % and 97.5 % discrete quantiles.
CREATE MACRO bootstrap_ci(clusters) AS TABLE
WITH c AS (SELECT * FROM query_table(clusters)),
keyed AS (
    SELECT key, md5('stable_pick 200 q2.5/97.5|' || any_value(seed_text) || '|'
                    || string_agg(spend_pusd || ':' || solved, ',' ORDER BY idx)) AS clusters_md5
    FROM c GROUP BY key
),
todo AS (SELECT key FROM keyed WHERE clusters_md5 NOT IN (SELECT clusters_md5 FROM bootstrap_intervals)),
draw0 AS (
    SELECT c.key, r.rep, c.n, (xor(c.seed, r.rep * 65537 + c.idx) * 48271) % 2147483647 AS z
    FROM (SELECT * FROM c JOIN todo USING (key)) c CROSS JOIN range(200) r(rep)
),
draw1 AS (SELECT key, rep, n, (xor(z, z >> 13) * 69621) % 2147483647 AS z FROM draw0),
draws AS (SELECT key, rep, ((xor(z, z >> 17) * 48271) % 2147483647) % n AS idx FROM draw1),
replicates AS (
    SELECT d.key, d.rep, sum(c.spend_pusd) // nullif(sum(c.solved), 0) AS cpst_pusd
    FROM draws d JOIN c ON c.key = d.key AND c.idx = d.idx
    GROUP BY ALL
),
drawn AS (
    SELECT key, quantile_disc(cpst_pusd, 0.025) AS lo, quantile_disc(cpst_pusd, 0.975) AS hi
    FROM replicates GROUP BY key
)
SELECT k.key, k.clusters_md5,
       (d.lo::DECIMAL(38, 0) * 0.000000000001::DECIMAL(13, 12))::DECIMAL(38, 12) AS low_usd,
       (d.hi::DECIMAL(38, 0) * 0.000000000001::DECIMAL(13, 12))::DECIMAL(38, 12) AS high_usd
FROM keyed k JOIN drawn d USING (key)
UNION ALL
SELECT k.key, k.clusters_md5, b.low_usd, b.high_usd
FROM keyed k JOIN bootstrap_intervals b USING (clusters_md5);
