"""What goes out: e-mails over SMTP, and the retry and replay of stopped rows."""
