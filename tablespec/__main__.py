from tablespec.cli import run

raise SystemExit(run())
