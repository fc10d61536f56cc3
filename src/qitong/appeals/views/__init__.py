"""The appeal loop's pages: one module per workbench, plus the shared case page (``detail``)."""
