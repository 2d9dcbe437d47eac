"""The source library: documents kept with their text, quotes verified against it.

- extract.py: bytes of an uploaded file (or pasted text) → numbered paragraphs, with limits.
- quotes.py: the verification rule, a quote's span in the text, the closest passage.
- services.py: the writes (add a source's document, verify a piece of evidence).
"""
