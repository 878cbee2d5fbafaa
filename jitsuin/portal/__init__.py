"""The user's self-service pages (templates + htmx, Japanese and English)."""
