"""Look at live tables without changing them: ``show`` (state and history), ``rows`` (``read``),
``importer`` (a spec for an existing table). Returns model data; never prints."""
