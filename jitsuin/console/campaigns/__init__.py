"""The console's pages for switchover campaigns (/console/campaigns/).

The campaigns app owns the domain (services, queries, the e-mails); these pages sit in the
console layer so they are guarded like every other console page (``console_view``).
"""
