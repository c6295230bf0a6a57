"""tablespec's benchmark suite: every case is timed against its baseline in the same run."""
