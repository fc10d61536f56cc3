import logging

# WeasyPrint logs every step of every PDF at INFO, from its import on (the bulletin's
# problems come as warnings): quiet before any module of the app imports it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
