"""Whether a CSS selector is one the list parser accepts (a source's check, kept light for models)."""

from selectolax.lexbor import LexborHTMLParser, SelectolaxError


def check_selector(selector):
    """Whether ``selector`` is CSS the list parser accepts."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError:
        return False
    return True
