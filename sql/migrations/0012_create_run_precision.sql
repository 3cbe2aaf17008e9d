-- Adaptive sampling: per run and model, what the night's rounds bought (loaded from the run's precision.json).
CREATE TABLE run_precision (
    run_id               VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,          -- provider/model
    attempts             INTEGER NOT NULL,          -- attempts the night's rounds took
    planned_attempts     INTEGER NOT NULL,          -- attempts of the full design (every case x repeat)
    pooled_attempts      INTEGER NOT NULL,          -- attempts behind the interval (the night + the window before it)
    rounds               INTEGER NOT NULL,          -- rounds in which the model got new attempts
    night_spend_usd      DECIMAL(38, 12) NOT NULL,  -- spend of the night's attempts
    cost_per_solved_usd  DECIMAL(38, 12),           -- the design's estimate (NULL: nothing solved)
    halfwidth_pct        DOUBLE,                    -- achieved 95 % half-width, percent of the estimate (NULL: unknown)
    target_halfwidth_pct DOUBLE NOT NULL,
    stopped_by           VARCHAR NOT NULL,          -- target | budget | exhausted | rounds | open
    PRIMARY KEY (run_id, model)
);
