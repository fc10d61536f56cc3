"""The integrations' pages: Open311 GeoReport v2 (``open311``) and the office's waiting requests (``office``)."""
