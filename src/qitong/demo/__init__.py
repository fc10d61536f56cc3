"""The demo city: a whole installation's worth of data to try the platform on (``qitong demo``).

It sits at the top of the layers, with the project's URL map: it seeds every
app, so it may import them all, and none imports it.
"""
