"""Full-text search over commitments, assessments, evidence quotes and source text.

index.py keeps the index (triggers on both databases); query.py parses what people type and
asks the index; results.py turns hits into what the page shows.
"""
