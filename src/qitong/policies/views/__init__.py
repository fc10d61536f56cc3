"""The policy library's pages: one module per audience (the library, staff, the enterprise portal)
and the keepers' view of the crawler (``sources``)."""
