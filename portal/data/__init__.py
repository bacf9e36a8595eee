"""Data layer: SQLite through sqlite-utils. The only place that holds SQL."""
