-- Store the priced rows (temp view bill_priced, from sql/bills/price_rows.sql) as bill_costs at price-book
-- version $version. Grain: one row per bill row.
INSERT INTO bill_costs
SELECT row_id, $version, entry_id, currency, tier, time_window, c_in, c_read, c_w5, c_w1, c_out, c_fee, total,
       fx_rate_to_usd, repriced_usd, reported_usd, causes, $priced_at
FROM bill_priced
