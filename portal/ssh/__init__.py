"""SSH front end: asyncssh server, authentication gate, Textual driver."""
