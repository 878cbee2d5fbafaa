"""The CA hierarchy: Authority rows, key references, activation and retirement."""
