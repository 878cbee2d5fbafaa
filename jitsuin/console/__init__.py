"""Helpdesk and operator pages."""
