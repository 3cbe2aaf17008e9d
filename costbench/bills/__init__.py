"""Imported bills: usage exports of gateways, providers and coding tools, re-priced with the dated price book.

One importer module per export format turns a file into *staged rows* (text columns named in
:data:`costbench.bills.stage.COLUMNS`, the same disjoint buckets as benchmark calls); :mod:`.stage` checks
and inserts them in one transaction; :mod:`.repricing` prices every row in SQL; :mod:`.whatif` re-prices
the same usage on other models. Formats and their sources: docs/bills.md.
"""
