"""Source data files: find and fingerprint them (``discover``), read them as typed Arrow batches
(``read``, with ``casting``). Reaches object stores through ``tablespec.delta.store``."""
