"""The Delta boundary: the only package that imports ``deltalake``.

Every write (including a rewrite's schema-changing overwrite), every open ("is there a table
here, and why not"), the one log reader, the one DataFusion scan, commit properties and the
translation of deltalake's errors live here. Above it, tablespec speaks ``model`` types and
tablespec errors only.
"""
