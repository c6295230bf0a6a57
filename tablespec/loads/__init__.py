"""Carry out one :class:`~tablespec.model.actions.LoadSource`: exactly-once writes of source files
(``execute``), and what a merge must know about a whole file first (``merge_prep``)."""
