"""A numbered filing, its event and the counter its numbers come from."""

from django.db import models


class Counter(models.Model):
    name = models.CharField(max_length=50, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class Filing(models.Model):
    number = models.CharField(max_length=20, unique=True)
    enterprise = models.CharField(max_length=18)
    title = models.CharField(max_length=200)
    content = models.TextField(max_length=5000)
    channel = models.CharField(max_length=20)
    contact_name = models.CharField(max_length=50, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.number


class FilingEvent(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.filing_id} {self.action}"
