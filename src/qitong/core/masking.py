"""Personal numbers as lists, exports and pages show them: the one rule, used everywhere.

- A phone keeps its first 3 and last 4 characters, the rest is four stars
  whatever its length (``138****5678``, ``053****3456`` for ``0531-86123456``),
  so the mask tells neither the number nor its length. Under 8 characters only
  the last 2 are kept (``****56``).
- An ID number (居民身份证号码, 18 or 15 characters) keeps its first 4 (the
  province and city) and last 4, each other character a star
  (``1101**********1234``). No model stores one today; any that does shows it
  through this function.

Who sees a number in full, and how a person with the need reveals one with a
reason (recorded on the audit trail), is each app's access rule
(``appeals.access.contact_phone_for``, ``audit.reveal``); this module only masks.
"""

STARS = "****"


def mask_phone(value):
    """``value`` with all but its first 3 and last 4 characters hidden; "" stays ""."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) < 8:
        return STARS + value[-2:] if len(value) > 2 else STARS
    return value[:3] + STARS + value[-4:]


def mask_id_number(value):
    """An ID number with all but its first 4 and last 4 characters starred, length kept."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
