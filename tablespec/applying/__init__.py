"""Carry out a plan: approval and saved plans (``applier``), order, guards and drift (``executor``),
one handler per action (``handlers``), verified rewrites (``rewrite``). Returns reports
(:mod:`tablespec.model.report`); never prints. Named ``applying`` so the public function
``tablespec.apply`` is never shadowed by a subpackage.
"""
