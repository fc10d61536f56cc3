"""Qitong (企通): a city government's platform for serving its enterprises."""

from qitong.celery import app as celery_app

__all__ = ["celery_app"]
