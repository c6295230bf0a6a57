"""Spec vs live table -> :class:`~tablespec.model.plan.Plan`.

``observe`` reads the live state through ``tablespec.delta``; ``diff`` is pure; ``exactly_once``
names the load markers; ``planner`` puts them together. Named ``planning`` (not ``plan``) so the
public function ``tablespec.plan`` is never shadowed by a subpackage.
"""
