from django.db import models


class PeriodicJob(models.Model):
    """When a periodic job last ran and is next due; its row lock elects one runner."""

    name = models.CharField(max_length=100, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "lifecycle_periodicjob"  # made by the lifecycle app before jobs existed
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A running worker's sign of life: /healthz and the sweep read it (one row per worker)."""

    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "lifecycle_workerheartbeat"  # made by the lifecycle app before jobs existed

    def __str__(self) -> str:
        return f"{self.worker_id} {self.seen_at:%H:%M:%S}"
