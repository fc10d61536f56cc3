"""The yardstick for ``bench/intake.py``: the least a Django + DRF create can do.

Token authentication, one serializer, one transaction with an insert, an
UPDATE of a counter row for the number and an event insert; nothing else. It
runs in its own database on the same PostgreSQL server as Qitong, served by
gunicorn like ``qitong serve``, so the two differ only in what a filing does.
"""
