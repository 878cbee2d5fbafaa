"""E-mail notifications: an outbox, templates in Japanese and English, exactly-once sending."""
