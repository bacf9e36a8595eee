"""Business rules: plain Python, no Textual (a test proves it)."""
