"""CA switchover campaigns: plan, migrate, remind, track, revoke the old intermediate."""
