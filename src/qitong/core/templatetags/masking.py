"""``{{ phone|mask_phone }}``, ``{{ number|mask_id_number }}``: ``core.masking`` in templates."""

from django import template

from qitong.core import masking

register = template.Library()
register.filter("mask_phone", masking.mask_phone)
register.filter("mask_id_number", masking.mask_id_number)
