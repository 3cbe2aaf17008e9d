-- 0003: exact money division. DuckDB's DECIMAL / x returns DOUBLE; money must stay DECIMAL(38,12).
-- money_div(amount, n): amount / n for an integer n, truncated to 1e-12 (a picodollar), NULL when n is 0 or NULL.
CREATE MACRO money_div(amount, n) AS
    CASE WHEN n IS NULL OR n = 0 THEN NULL
         ELSE ((amount::DECIMAL(38, 12) * 1000000000000)::HUGEINT // n::HUGEINT)::DECIMAL(38, 0)
              * 0.000000000001::DECIMAL(13, 12)
    END;
